// The watchdog's view of calls waiting on the disk.
#include "buffer/disk_calls.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace storegate {
namespace {

using namespace std::chrono_literals;

TEST(DiskCalls, TheOldestRunningCallIsMeasuredAndNoneIsZero) {
  DiskCalls calls;
  EXPECT_EQ(calls.oldest(), 0ms);
  {
    const DiskCalls::Scope first(calls);
    std::this_thread::sleep_for(30ms);
    const DiskCalls::Scope second(calls);
    EXPECT_GE(calls.oldest(), 30ms) << "the older call counts, not the newest";
  }
  EXPECT_EQ(calls.oldest(), 0ms) << "both calls ended";
}

TEST(DiskCalls, MoreCallsThanSlotsLeaveTheTrackedOnesVisible) {
  DiskCalls calls;
  std::vector<std::unique_ptr<DiskCalls::Scope>> scopes;
  for (int i = 0; i < 100; ++i) scopes.push_back(std::make_unique<DiskCalls::Scope>(calls));
  std::this_thread::sleep_for(10ms);
  EXPECT_GE(calls.oldest(), 10ms);
  scopes.clear();
  EXPECT_EQ(calls.oldest(), 0ms) << "an untracked call must not free another's slot";
}

}  // namespace
}  // namespace storegate
