// A repeated warning is logged once per interval with the count of the rest.
#include <gtest/gtest.h>

#include <thread>

#include "common/log.hpp"

namespace storegate {
namespace {

TEST(LogThrottle, LetsOneThroughPerIntervalAndCountsTheRest) {
  LogThrottle throttle(std::chrono::hours(1));
  uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.allow(suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(throttle.allow(suppressed));
}

TEST(LogThrottle, AfterTheIntervalTheNextLineSaysHowManyWereNotLogged) {
  LogThrottle throttle(std::chrono::milliseconds(20));
  uint64_t suppressed = 0;
  ASSERT_TRUE(throttle.allow(suppressed));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(throttle.allow(suppressed));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(throttle.allow(suppressed));
  EXPECT_EQ(suppressed, 5u);
}

TEST(LogThrottle, ManyThreadsAtOnceLetExactlyOneThrough) {
  LogThrottle throttle(std::chrono::hours(1));
  std::atomic<int> through{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      uint64_t s = 0;
      for (int i = 0; i < 1000; ++i)
        if (throttle.allow(s)) ++through;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(through.load(), 1);
}

}  // namespace
}  // namespace storegate
