// Today's store numbers: events counted into local hours as they are stored, what the
// buffer held before the start read back once, a new day starting from zero.
#include "admin/store_summary.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "buffer/memory_buffer.hpp"

namespace storegate::admin {
namespace {

constexpr int64_t kDay = 86'400;
constexpr int64_t kMidnight = 1'795'478'400;  // 2026-11-24T00:00:00Z

Event event(const std::string& type, int64_t unix_s, const std::string& data = "{}") {
  Event e;
  e.type = type;
  e.source = "test";
  e.id = type + std::to_string(unix_s);
  e.time_unix_ns = unix_s * 1'000'000'000;
  e.data = data;
  return e;
}

Event crossing(int64_t unix_s, const char* direction) {
  return event("store.footfall.crossing", unix_s,
               std::string(R"({"line":"door","direction":")") + direction + "\"}");
}

class StoreSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);  // hours are local: pin the zone
    tzset();
  }
  MemoryBuffer buffer_;
  StoreSummary summary_;
};

TEST_F(StoreSummaryTest, CountsEachKindIntoItsHourWithTheConversionRate) {
  summary_.startAfter(0);
  const std::vector<Event> events = {crossing(kMidnight + 9 * 3600 + 5, "in"),
                                     crossing(kMidnight + 9 * 3600 + 6, "in"),
                                     crossing(kMidnight + 9 * 3600 + 7, "out"),
                                     event("store.pos.receipt", kMidnight + 9 * 3600 + 60),
                                     crossing(kMidnight + 10 * 3600, "in"),
                                     event("store.member.scan", kMidnight + 10 * 3600 + 1),
                                     event("store.sensor.alert", kMidnight + 10 * 3600 + 2),
                                     event("store.hello", kMidnight + 10 * 3600)};
  summary_.observe(events);
  const auto t = summary_.today(buffer_, kMidnight + 10 * 3600 + 30);
  EXPECT_EQ(t["hour_now"], 10);
  EXPECT_EQ(t["in"], 3);
  EXPECT_EQ(t["out"], 1);
  EXPECT_EQ(t["receipts"], 1);
  EXPECT_EQ(t["member_scans"], 1);
  EXPECT_EQ(t["alerts"], 1);
  EXPECT_EQ(t["hours"][9]["in"], 2);
  EXPECT_DOUBLE_EQ(t["hours"][9]["conversion"].get<double>(), 0.5);
  EXPECT_EQ(t["hours"][10]["receipts"], 0);
  EXPECT_TRUE(t["hours"][8]["conversion"].is_null()) << "no entries: no rate";
}

TEST_F(StoreSummaryTest, ReadsBackWhatTheBufferHeldBeforeTheStartOnce) {
  std::vector<Event> before;
  for (int i = 0; i < 2500; ++i) before.push_back(crossing(kMidnight + 8 * 3600 + i, "in"));
  before.push_back(crossing(kMidnight - kDay, "in"));  // yesterday's: not today's number
  ASSERT_TRUE(buffer_.append(before).ok());
  summary_.startAfter(buffer_.stats().last_sequence);
  const auto partial = summary_.today(buffer_, kMidnight + 12 * 3600, /*max_events=*/1000);
  EXPECT_FALSE(partial["caught_up"]);
  EXPECT_EQ(partial["in"], 1000) << "bounded per request";
  std::vector<Event> live = {crossing(kMidnight + 12 * 3600, "in")};
  ASSERT_TRUE(buffer_.append(live).ok());
  summary_.observe(live);
  auto t = summary_.today(buffer_, kMidnight + 12 * 3600 + 1);
  t = summary_.today(buffer_, kMidnight + 12 * 3600 + 2);
  EXPECT_TRUE(t["caught_up"]);
  EXPECT_EQ(t["in"], 2501) << "the live event once, the backlog once, not yesterday";
}

TEST_F(StoreSummaryTest, ANewDayStartsFromZero) {
  summary_.startAfter(0);
  summary_.observe(std::vector<Event>{crossing(kMidnight + 23 * 3600, "in")});
  EXPECT_EQ(summary_.today(buffer_, kMidnight + 23 * 3600 + 10)["in"], 1);
  EXPECT_EQ(summary_.today(buffer_, kMidnight + kDay + 60)["in"], 0);
  summary_.observe(std::vector<Event>{crossing(kMidnight + kDay + 120, "out")});
  EXPECT_EQ(summary_.today(buffer_, kMidnight + kDay + 180)["out"], 1);
}

}  // namespace
}  // namespace storegate::admin
