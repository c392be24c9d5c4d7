// The store's devices through one real daemon: local MQTT sensors, a Modbus TCP device and
// a TCP member-code scanner, each into the buffer and out through a local file sink.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "support/modbus_server.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/test_support.hpp"

namespace storegate {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(SourcesEndToEnd, SensorsModbusAndAScannerFeedOneDaemon) {
  test::TempDir dir;
  test::MosquittoBroker broker(dir / "broker");
  test::ModbusTestServer counter;
  counter.setInput(0, 0);
  counter.setInput(1, 42);  // 42 people in
  const int scanner_port = test::freeLoopbackPort();
  const auto config = dir / "storegate.yaml";
  test::writeFile(config,
                  "store_id: store-0042\n"
                  "data_dir: data\n"
                  "plugin_dirs: [\"" + test::pluginDir().string() + "\"]\n"
                  "log: {level: info, file: daemon.log}\n"
                  "plugins:\n"
                  "  - name: sensors\n"
                  "    plugin: sensor_mqtt\n"
                  "    match: [store.command]\n"
                  "    config:\n"
                  "      broker_url: " + broker.url() + "\n"
                  "      flush_interval: 10ms\n"
                  "      mappings:\n"
                  "        - {topic: \"sensors/fridge/+\", sensor: \"fridge-{1}\", value: c}\n"
                  "  - name: door_counter\n"
                  "    plugin: sensor_modbus\n"
                  "    config:\n"
                  "      devices:\n"
                  "        - name: counter\n"
                  "          host: 127.0.0.1\n"
                  "          port: " + std::to_string(counter.port()) + "\n"
                  "          interval: 100ms\n"
                  "          registers: [{name: people_in, address: 0, type: input, format: u32}]\n"
                  "  - name: till_scanner\n"
                  "    plugin: member_code\n"
                  "    config:\n"
                  "      input: tcp\n"
                  "      tcp.listen: 127.0.0.1:" + std::to_string(scanner_port) + "\n"
                  "      location: till-1\n"
                  "  - name: out\n"
                  "    plugin: file_sink\n"
                  "    config: {path: events.jsonl}\n");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir / "out.log");

  test::MqttTestClient fridge(broker.url(), "fridge-sim", "");
  int fd = -1;
  ASSERT_TRUE(test::waitUntil([&] {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(scanner_port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    ::close(fd);
    return false;
  }, 20s)) << daemon.output();
  ASSERT_EQ(::send(fd, "M-4242\n", 7, 0), 7);
  ::close(fd);

  std::set<std::string> seen;
  ASSERT_TRUE(test::waitUntil([&] {
    fridge.publish("sensors/fridge/1", R"({"c": 4.5})");
    seen.clear();
    if (!std::filesystem::exists(dir / "events.jsonl")) return false;
    for (const auto& line : test::readLines(dir / "events.jsonl")) {
      const json e = json::parse(line);
      if (e["type"] == "store.sensor.reading" && e["data"]["sensor"] == "fridge-1") seen.insert("mqtt");
      if (e["type"] == "store.sensor.reading" && e["data"]["sensor"] == "counter.people_in" &&
          e["data"]["value"] == 42)
        seen.insert("modbus");
      if (e["type"] == "store.member.scan" && e["data"]["member_code"] == "M-4242" &&
          e["subject"] == "till-1")
        seen.insert("scanner");
    }
    return seen.size() == 3;
  }, 30s)) << "seen " << seen.size() << "\n" << test::readFile(dir / "daemon.log");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << daemon.output();
}

}  // namespace storegate
