// Token changes from two writers of one file at once (the daemon's API and a storegatectl
// beside it): each change is made to the file's current contents, so none is lost.
#include "admin/tokens.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/test_support.hpp"

namespace storegate::admin {

TEST(TokenStore, TwoWritersOfOneFileAtOnceLoseNoTokenAndARevokeResurrectsNone) {
  test::TempDir dir;
  const auto file = dir / "etc" / "tokens";
  std::string error;
  auto a = TokenStore::open(file, error);
  ASSERT_TRUE(a) << error;
  auto b = TokenStore::open(file, error);
  ASSERT_TRUE(b) << error;
  constexpr int kEach = 25;
  std::vector<std::string> made_a, made_b;
  std::thread ta([&] {
    std::string e;
    for (int i = 0; i < kEach; ++i)
      if (auto t = a->create("a" + std::to_string(i), Role::kViewer, e)) made_a.push_back(*t);
  });
  std::thread tb([&] {
    std::string e;
    for (int i = 0; i < kEach; ++i)
      if (auto t = b->create("b" + std::to_string(i), Role::kOperator, e)) made_b.push_back(*t);
  });
  ta.join();
  tb.join();
  ASSERT_EQ(made_a.size(), size_t(kEach));
  ASSERT_EQ(made_b.size(), size_t(kEach));
  auto fresh = TokenStore::open(file, error);
  ASSERT_TRUE(fresh) << error;
  EXPECT_EQ(fresh->list().size(), size_t(1 + 2 * kEach));
  for (const auto& t : made_a) EXPECT_TRUE(fresh->check(t));
  for (const auto& t : made_b) EXPECT_TRUE(fresh->check(t));

  // `a` has not re-read b's tokens, yet its revoke keeps them.
  ASSERT_TRUE(a->revoke("a0", error)) << error;
  fresh = TokenStore::open(file, error);
  ASSERT_TRUE(fresh) << error;
  EXPECT_FALSE(fresh->check(made_a[0]));
  EXPECT_TRUE(fresh->check(made_b[kEach - 1]));
  EXPECT_EQ(fresh->list().size(), size_t(2 * kEach));
  EXPECT_FALSE(a->revoke("nobody", error));
  EXPECT_NE(error.find("no token named 'nobody'"), std::string::npos) << error;
}

}  // namespace storegate::admin
