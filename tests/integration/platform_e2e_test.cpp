// End to end through the real daemon: a source plugin → the durable buffer →
// platform_mqtt → a subscriber on a real Mosquitto, and commands back down.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/test_support.hpp"

namespace storegate {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(PlatformEndToEnd, SourceToBufferToBrokerToSubscriberThroughTheDaemon) {
  test::TempDir dir;
  test::MosquittoBroker broker(dir / "broker");
  test::MqttTestClient cloud(broker.url(), "brand-cloud", "stores/store-0042/events/#");
  const auto config = dir / "storegate.yaml";
  test::writeFile(config,
                  "store_id: store-0042\n"
                  "data_dir: data\n"
                  "plugin_dirs: [\"" +
                      test::pluginDir().string() +
                      "\"]\n"
                      "log: {level: info, file: daemon.log}\n"
                      "plugins:\n"
                      "  - name: greeter\n"
                      "    plugin: hello\n"
                      "    config: {interval: 20ms, greeting: \"hi from the store\"}\n"
                      "  - name: cloud\n"
                      "    plugin: platform_mqtt\n"
                      "    config:\n"
                      "      broker_url: " +
                      broker.url() +
                      "\n"
                      "      privacy.hmac_key: brand-key-0123456789abcdef\n"
                      "      reconnect.min_backoff: 100ms\n"
                      "  - name: commands\n"
                      "    plugin: file_sink\n"
                      "    config: {path: commands.jsonl}\n"
                      "    match: [store.command]\n");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir / "out.log");

  ASSERT_TRUE(test::waitUntil([&] { return cloud.count() >= 20; }, 20s))
      << test::readFile(dir / "daemon.log") << daemon.output();
  int64_t last = 0;
  for (const auto& m : cloud.received()) {
    EXPECT_EQ(m.topic, "stores/store-0042/events/gateway.demo.hello");
    const json e = json::parse(m.payload);
    EXPECT_EQ(e["source"], "greeter");
    EXPECT_EQ(e["storeid"], "store-0042");
    EXPECT_GT(e["sequence"].get<int64_t>(), last) << "in order";
    last = e["sequence"];
  }

  // A command from the cloud lands in the store's buffer.
  cloud.publish("stores/store-0042/commands", R"({"id":"c1","name":"ping"})");
  ASSERT_TRUE(test::waitUntil([&] {
    return std::filesystem::exists(dir / "commands.jsonl") &&
           !test::readFile(dir / "commands.jsonl").empty();
  }));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << daemon.output();
  const std::string log = test::readFile(dir / "daemon.log");
  EXPECT_NE(log.find("connected to " + broker.url()), std::string::npos) << log;
  bool command = false;
  for (const auto& line : test::readLines(dir / "commands.jsonl")) {
    const json e = json::parse(line);
    command = command || (e["type"] == "store.command" && e["subject"] == "ping" &&
                          e["source"] == "cloud" && e["data"]["id"] == "c1");
  }
  EXPECT_TRUE(command) << "the cloud's command reached the store's local sink";

  // Restart: what was delivered is not sent again (the cursor moved only on PUBACK).
  const size_t before = cloud.count();
  const int64_t delivered_last = last;
  test::Process again(test::storegatedPath(), {"--config", config.string()}, dir / "out2.log");
  ASSERT_TRUE(test::waitUntil([&] { return cloud.count() >= before + 5; }, 20s));
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait(20s), 0);
  const auto all = cloud.received();
  const json first_after = json::parse(all[before].payload);
  EXPECT_GT(first_after["sequence"].get<int64_t>(), delivered_last) << "no re-send after restart";
}

}  // namespace storegate
