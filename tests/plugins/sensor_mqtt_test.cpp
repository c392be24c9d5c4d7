// sensor_mqtt against a real Mosquitto with simulated sensor publishers, into the real
// RocksDB buffer; and its mapping and shelf logic on their own.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>

#include "mapping.hpp"
#include "shelf.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using plugins::sensor_mqtt::Mapping;

const json kMappings = json::parse(R"([
  {"topic": "sensors/door/+/beam", "sensor": "door-{1}", "value": "state"},
  {"topic": "sensors/temp/+", "sensor": "fridge-{1}", "value": "c", "unit": "°C",
   "alert_above": 8, "hysteresis": 1},
  {"topic": "sensors/shelf/+/weight", "sensor": "shelf-{1}", "value": "grams", "kind": "shelf",
   "item_weight": 250, "settle": "300ms"}
])");

class SensorMqttTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::MosquittoBroker> broker_;
  std::unique_ptr<test::PluginRig> rig_;

  void SetUp() override {
    broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
    rig_ = test::bundledPluginRig(dir_ / "gw");
    // The plugin is also a sink and acknowledges everything it passes over; a sink that
    // never acknowledges keeps the events for the test to read.
    rig_->buffer->registerSink("test_reader");
    InstanceSpec s;
    s.name = "sensors";
    s.plugin = "sensor_mqtt";
    s.path = "plugins[0]";
    s.config = {{"broker_url", broker_->url()},
                {"mappings", kMappings},
                {"flush_interval", "10ms"},
                {"quarantine_dir", (dir_ / "quarantine").string()},
                {"reconnect.min_backoff", "100ms"}};
    s.delivery.match = {"store.command"};
    s.delivery.initial_backoff = 20ms;
    ASSERT_OK(rig_->manager->add(s));
    ASSERT_TRUE(test::waitUntil([&] { return rig_->manager->get("sensors")->health == "ok"; }));
  }
  void TearDown() override { rig_.reset(); }

  std::vector<std::pair<std::string, json>> events(const std::string& type_prefix) {
    std::vector<std::pair<std::string, json>> out;
    for (const auto& e : rig_->buffer->readAfter(0, 100000, 1 << 26))
      if (e.type.rfind(type_prefix, 0) == 0) out.emplace_back(e.type, json::parse(e.data));
    return out;
  }
  double metric(const std::string& name) {
    return test::pluginMetric(*rig_->manager, "sensors", name);
  }
};

}  // namespace

TEST_F(SensorMqttTest, ReadingsAndThresholdAlertsWithHysteresis) {
  test::MqttTestClient sensors(broker_->url(), "sensor-sim", "");
  sensors.publish("sensors/door/3/beam", R"({"state": true})");
  for (double c : {5.0, 8.5, 7.5, 9.0, 6.5})
    sensors.publish("sensors/temp/2", json{{"c", c}}.dump());
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.reading").size() == 6; }));
  const auto readings = events("store.sensor.reading");
  EXPECT_EQ(readings[0].second["sensor"], "door-3");
  EXPECT_EQ(readings[0].second["value"], 1.0);
  EXPECT_EQ(readings[1].second["sensor"], "fridge-2");
  EXPECT_EQ(readings[1].second["unit"], "°C");

  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.alert").size() == 2; }));
  const auto alerts = events("store.sensor.alert");
  // 8.5 raises; 7.5 is within the hysteresis (> 8 - 1) and does not clear; 9.0 is already
  // raised; 6.5 clears.
  EXPECT_EQ(alerts[0].second["state"], "raised");
  EXPECT_EQ(alerts[0].second["value"], 8.5);
  EXPECT_EQ(alerts[1].second["state"], "cleared");
  EXPECT_EQ(alerts[1].second["value"], 6.5);
}

TEST_F(SensorMqttTest, ShelfWeightsBecomePickupsOnlyOnceSettled) {
  test::MqttTestClient scale(broker_->url(), "scale-sim", "");
  const auto weigh = [&](double g) {
    scale.publish("sensors/shelf/7/weight", json{{"grams", g}}.dump());
  };
  weigh(2000);  // the shelf as it stands: 8 items
  weigh(1740);  // a hand rests on it, lifts off at once
  weigh(2010);
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(events("store.shelf.").empty()) << "a touch is not a pick-up";

  weigh(1510);  // two items taken
  std::this_thread::sleep_for(100ms);
  weigh(1495);  // still settling
  ASSERT_TRUE(test::waitUntil([&] { return events("store.shelf.").size() == 1; }));
  auto shelf = events("store.shelf.");
  EXPECT_EQ(shelf[0].first, "store.shelf.pickup");
  EXPECT_EQ(shelf[0].second["sensor"], "shelf-7");
  EXPECT_EQ(shelf[0].second["items"], 2);

  weigh(1750);  // one put back
  ASSERT_TRUE(test::waitUntil([&] { return events("store.shelf.").size() >= 2; }));
  std::this_thread::sleep_for(400ms);
  shelf = events("store.shelf.");
  ASSERT_EQ(shelf.size(), 2u);
  EXPECT_EQ(shelf[1].first, "store.shelf.putback");
  EXPECT_EQ(shelf[1].second["items"], 1);
  EXPECT_EQ(metric("pickups"), 1);
  EXPECT_TRUE(events("store.sensor.reading").empty()) << "shelf mappings emit no raw readings";
}

TEST_F(SensorMqttTest, UnreadableMessagesAreQuarantinedWithTheirReasonAndTheRestFlows) {
  test::MqttTestClient sensors(broker_->url(), "sensor-sim", "");
  sensors.publish("sensors/temp/1", "not json");
  sensors.publish("sensors/temp/1", R"({"celsius": 4})");
  sensors.publish("sensors/temp/1", R"({"c": 4})");
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.reading").size() == 1; }));
  ASSERT_TRUE(test::waitUntil([&] { return metric("messages_invalid") == 2; }));
  const auto lines = test::readLines(dir_ / "quarantine" / "sensor_mqtt-sensors.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["reason"], "payload is not JSON (nor a bare number)");
  EXPECT_EQ(json::parse(lines[1])["reason"], "payload has no 'c'");
  EXPECT_EQ(json::parse(lines[1])["topic"], "sensors/temp/1");
  EXPECT_NE(rig_->manager->get("sensors")->last_error.find("refused"), std::string::npos);
}

TEST_F(SensorMqttTest, AnInvalidUtf8OrDeeplyNestedPayloadIsQuarantinedNotACrash) {
  test::MqttTestClient sensors(broker_->url(), "sensor-sim", "");
  sensors.publish("sensors/temp/1", std::string(2'000, '[') + std::string(2'000, ']'));
  sensors.publish("sensors/temp/1", R"({"c": 5})");
  sensors.publish("sensors/temp/1", "\xff\xfe not text");  // its quarantine line once threw
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.reading").size() == 1; }));
  ASSERT_TRUE(test::waitUntil([&] { return metric("messages_invalid") == 2; }));
  const auto lines = test::readLines(dir_ / "quarantine" / "sensor_mqtt-sensors.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(json::parse(lines[0])["reason"].get<std::string>().find("deeper than 64"),
            std::string::npos);
  EXPECT_FALSE(json::parse(lines[1], nullptr, false).is_discarded())
      << "valid JSON, bytes replaced";
}

TEST_F(SensorMqttTest, PriceUpdatesFromTheCloudReachTheShelfLabels) {
  test::MqttTestClient labels(broker_->url(), "esl-hub", "esl/#");
  const auto command = [&](const std::string& data) {
    sdk::Event e;
    e.type = "store.command";
    e.subject = "esl.update";
    e.data = data;
    const sg_event v = e.toView();
    ASSERT_OK(rig_->ingest->emit("cloud", {&v, 1}));
  };
  command(R"({"name":"esl.update","args":{"label":"A12","price":3.99,"currency":"EUR"}})");
  command(R"({"name":"esl.update","args":{"price":1}})");  // no label: dead-lettered
  command(R"({"name":"esl.update","label":"B7","price":2.5})");
  ASSERT_TRUE(test::waitUntil([&] { return labels.count() == 2; }));
  const auto got = labels.received();
  EXPECT_EQ(got[0].topic, "esl/A12/update");
  EXPECT_EQ(json::parse(got[0].payload)["price"], 3.99);
  EXPECT_EQ(got[1].topic, "esl/B7/update");
  ASSERT_TRUE(test::waitUntil([&] { return rig_->manager->get("sensors")->dead_lettered == 1; }));
  EXPECT_EQ(rig_->buffer->stats().dead_letters, 1u);
}

TEST(SensorMapping, TopicFiltersLevelsAndSensorNames) {
  using namespace plugins::sensor_mqtt;
  std::vector<std::string> levels;
  EXPECT_TRUE(topicMatches("a/+/c/+", "a/1/c/2", &levels));
  EXPECT_EQ(levels, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(topicMatches("a/#", "a/b/c"));
  EXPECT_TRUE(topicMatches("a/#", "a"));
  EXPECT_FALSE(topicMatches("a/+", "a/b/c"));
  EXPECT_FALSE(topicMatches("a/b", "a/c"));
  EXPECT_EQ(sensorName("door-{1}-{2}", {"x", "y"}, "t"), "door-x-y");
  EXPECT_EQ(sensorName("{topic}", {}, "sensors/a"), "sensors/a");
}

TEST(SensorMapping, BadMappingsNameTheEntryAndField) {
  using namespace plugins::sensor_mqtt;
  const auto error = [](const char* text) {
    try {
      (void)parseMappings(text);
    } catch (const sdk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(R"([{"topic":"a/b"},{"topic":"s/+","kind":"shelf"}])"),
            "mappings[1].item_weight: must be a positive number (grams per item)");
  EXPECT_EQ(error(R"([{"topic":"a/b#"}])"), "mappings[0].topic: '#' must be the last level");
  EXPECT_EQ(error(R"([{"topic":"a","colour":"red"}])"), "mappings[0].colour: unknown field");
  EXPECT_EQ(error("[]"), "mappings: must name at least one topic");
  EXPECT_EQ(error(R"([{"topic":"a","settle":"soon"}])"),
            "mappings[0].settle: 'soon' is not a duration");
}

TEST(ShelfTracker, CountsItemsOnlyAfterTheWeightSettles) {
  using namespace plugins::sensor_mqtt;
  Mapping m;
  m.kind = Mapping::Kind::kShelf;
  m.item_weight = 100;
  m.settle = std::chrono::milliseconds(200);
  ShelfTracker t;
  EXPECT_FALSE(t.feed(1000, 0, m));   // baseline
  EXPECT_FALSE(t.feed(1030, 10, m));  // noise
  EXPECT_FALSE(t.feed(700, 20, m));   // settling
  EXPECT_FALSE(t.feed(705, 100, m));
  const auto c = t.tick(220, m);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->items, -3);
  EXPECT_FALSE(t.feed(900, 300, m));  // a level that does not hold…
  EXPECT_FALSE(t.feed(702, 350, m));  // …is forgotten
  EXPECT_FALSE(t.tick(1000, m));
  EXPECT_FALSE(t.feed(800, 1010, m));  // one put back
  const auto back = t.tick(1300, m);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->items, 1);
}

}  // namespace storegate
