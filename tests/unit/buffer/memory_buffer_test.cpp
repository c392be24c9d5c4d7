#include "buffer/memory_buffer.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace storegate {
namespace {
std::vector<Event> events(size_t n) {
  std::vector<Event> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].type = "t";
    out[i].data = std::to_string(i);
  }
  return out;
}
}  // namespace

TEST(MemoryBuffer, AssignsConsecutiveSequencesAcrossAppends) {
  MemoryBuffer b;
  auto first = events(3);
  auto second = events(2);
  ASSERT_TRUE(b.append(first).ok());
  ASSERT_TRUE(b.append(second).ok());
  EXPECT_EQ(first[0].sequence, 1u);
  EXPECT_EQ(second[1].sequence, 5u);
  const auto read = b.readAfter(2, 10, 1 << 20);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].sequence, 3u);
  EXPECT_EQ(read[2].sequence, 5u);
}

TEST(MemoryBuffer, ReadHonoursEventAndByteLimitsButAlwaysReturnsOne) {
  MemoryBuffer b;
  auto e = events(10);
  ASSERT_TRUE(b.append(e).ok());
  EXPECT_EQ(b.readAfter(0, 4, 1 << 20).size(), 4u);
  EXPECT_EQ(b.readAfter(0, 100, 1).size(), 1u);
}

TEST(MemoryBuffer, TrimsBelowTheSlowestCursor) {
  MemoryBuffer b;
  auto e = events(10);
  b.registerSink("fast");
  b.registerSink("slow");
  ASSERT_TRUE(b.append(e).ok());
  ASSERT_TRUE(b.commitCursor("fast", 8).ok());
  EXPECT_EQ(b.stats().first_sequence, 1u);  // "slow" has acknowledged nothing yet
  ASSERT_TRUE(b.commitCursor("slow", 3).ok());
  EXPECT_EQ(b.stats().first_sequence, 4u);
  EXPECT_FALSE(b.commitCursor("slow", 2).ok());  // cursors never move back
}

TEST(MemoryBuffer, WaitForMoreWakesOnAppend) {
  MemoryBuffer b;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto e = events(1);
    (void)b.append(e);
  });
  EXPECT_TRUE(b.waitForMore(0, std::chrono::seconds(5)));
  producer.join();
}

TEST(MemoryBuffer, StateIsNamespacedPerInstance) {
  MemoryBuffer b;
  ASSERT_TRUE(b.put("a", "k", "1").ok());
  ASSERT_TRUE(b.put("b", "k", "2").ok());
  EXPECT_EQ(b.get("a", "k"), "1");
  EXPECT_EQ(b.get("b", "k"), "2");
  ASSERT_TRUE(b.erase("a", "k").ok());
  EXPECT_FALSE(b.get("a", "k"));
}

}  // namespace storegate
