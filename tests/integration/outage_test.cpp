// The uplink fails for a while: nothing is lost once it returns; and with a quota too
// small for the outage, drop_oldest drops exactly the oldest and says so.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

struct Delivered {
  uint64_t sequence;
  std::string type;
  std::string data;
};

class Outage : public ::testing::Test {
 protected:
  test::TempDir dir_;
  // The outage logic, not fsync speed, is under test.
  BufferOptions options_ = test::testBufferOptions(Durability::None);
  std::unique_ptr<test::PluginRig> rig_;
  RocksBuffer* buffer_ = nullptr;     // rig_'s, for brevity
  PluginManager* manager_ = nullptr;  // rig_'s

  void open() {
    options_.maintenance_interval = std::chrono::milliseconds(50);
    rig_ = std::make_unique<test::PluginRig>(
        dir_.path(), std::vector<std::filesystem::path>{test::fixtureDir()}, options_);
    buffer_ = rig_->buffer.get();
    manager_ = rig_->manager.get();
  }
  void TearDown() override { rig_.reset(); }

  void addSink(const std::string& fail_for) {
    InstanceSpec s;
    s.name = "cloud";
    s.plugin = "flaky_sink";
    s.path = "plugins[0]";
    s.config = {{"record", (dir_ / "record.txt").string()}, {"fail_for", fail_for}};
    s.delivery.initial_backoff = std::chrono::milliseconds(5);
    s.delivery.max_backoff = std::chrono::milliseconds(50);
    ASSERT_TRUE(manager_->add(s).ok());
  }

  void emitReadings(int count) {
    for (int i = 0; i < count; ++i) {
      std::vector<Event> e(1);
      e[0].type = "store.sensor.reading";
      e[0].datacontenttype = "application/json";
      e[0].data = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(80, 'p') + "\"}";
      ASSERT_TRUE(buffer_->append(e).ok()) << i;
    }
  }

  std::vector<Delivered> delivered() {
    std::vector<Delivered> out;
    for (const auto& line : test::readLines(dir_ / "record.txt")) {
      const auto a = line.find('\t'), b = line.find('\t', a + 1), c = line.find('\t', b + 1);
      out.push_back({std::stoull(line.substr(a + 1, b - a - 1)), line.substr(b + 1, c - b - 1),
                     line.substr(c + 1)});
    }
    return out;
  }
};

}  // namespace

TEST_F(Outage, EverythingArrivesInOrderOnceTheUplinkReturns) {
  open();
  addSink("700ms");
  emitReadings(500);
  // During the outage nothing is acknowledged and nothing is trimmed.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  buffer_->maintain();
  EXPECT_EQ(buffer_->cursor("cloud"), 0u);
  EXPECT_EQ(buffer_->stats().first_sequence, 1u);
  EXPECT_TRUE(delivered().empty());
  ASSERT_TRUE(
      test::waitUntil([&] { return buffer_->cursor("cloud") == 500; }, std::chrono::seconds(20)));
  const auto got = delivered();
  ASSERT_EQ(got.size(), 500u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].sequence, i + 1);
    EXPECT_EQ(nlohmann::json::parse(got[i].data)["n"], i);
  }
  // Once delivered, retention trims it.
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->stats().first_sequence == 0; }));
}

TEST_F(Outage, ATooSmallQuotaDropsExactlyTheOldestAndSaysSo) {
  options_.quota_bytes = 20'000;  // room for about 150 of the 500 readings
  open();
  addSink("1500ms");
  emitReadings(500);
  const uint64_t dropped = buffer_->stats().dropped;
  ASSERT_GT(dropped, 0u);
  ASSERT_TRUE(
      test::waitUntil([&] { return buffer_->cursor("cloud") == buffer_->stats().last_sequence; },
                      std::chrono::seconds(20)));
  std::vector<int> readings;
  uint64_t reported = 0;
  for (const Delivered& d : delivered()) {
    if (d.type == "store.sensor.reading")
      readings.push_back(nlohmann::json::parse(d.data)["n"].get<int>());
    if (d.type == "gateway.buffer.dropped")
      reported += nlohmann::json::parse(d.data)["dropped"].get<uint64_t>();
  }
  ASSERT_FALSE(readings.empty());
  // What arrived is one unbroken run ending with the newest reading: only the oldest went.
  EXPECT_EQ(readings.back(), 499);
  for (size_t i = 1; i < readings.size(); ++i) ASSERT_EQ(readings[i], readings[i - 1] + 1);
  const auto lost = static_cast<uint64_t>(readings.front());
  EXPECT_GE(dropped, lost);  // every missing reading was counted (reports may be dropped too)
  EXPECT_GT(reported, 0u) << "the sink must be told that events were dropped";
  EXPECT_LE(reported, dropped);
}

}  // namespace storegate
