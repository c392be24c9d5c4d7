#include <gtest/gtest.h>

#include "plugin/instance.hpp"

namespace storegate {

TEST(StateMachine, TheHappyPathIsAllowed) {
  using S = InstanceState;
  const S path[] = {S::Loaded,  S::Created,   S::Running, S::Draining,
                    S::Stopped, S::Destroyed, S::Unloaded};
  for (size_t i = 0; i + 1 < std::size(path); ++i) {
    EXPECT_TRUE(isAllowedTransition(path[i], path[i + 1]))
        << toString(path[i]) << " → " << toString(path[i + 1]);
  }
  EXPECT_TRUE(isAllowedTransition(S::Destroyed, S::Retired));
}

TEST(StateMachine, FailureIsReachableOnlyFromCreateStartAndStop) {
  using S = InstanceState;
  EXPECT_TRUE(isAllowedTransition(S::Loaded, S::Failed));
  EXPECT_TRUE(isAllowedTransition(S::Created, S::Failed));
  EXPECT_TRUE(isAllowedTransition(S::Draining, S::Failed));
  EXPECT_FALSE(isAllowedTransition(S::Running, S::Failed));
  EXPECT_FALSE(isAllowedTransition(S::Stopped, S::Failed));
  EXPECT_TRUE(isAllowedTransition(S::Failed, S::Retired));
}

TEST(StateMachine, ShortcutsAndResurrectionsAreRefused) {
  using S = InstanceState;
  EXPECT_FALSE(isAllowedTransition(S::Loaded, S::Running));
  EXPECT_FALSE(isAllowedTransition(S::Running, S::Stopped));  // must drain first
  EXPECT_FALSE(isAllowedTransition(S::Running, S::Destroyed));
  EXPECT_FALSE(isAllowedTransition(S::Stopped, S::Running));
  EXPECT_FALSE(isAllowedTransition(S::Unloaded, S::Loaded));
  EXPECT_FALSE(isAllowedTransition(S::Retired, S::Unloaded));
}

}  // namespace storegate
