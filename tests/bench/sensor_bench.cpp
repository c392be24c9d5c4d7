// Drives sensor_mqtt through the real plugin host into the RocksDB buffer, fed by a Paho
// publisher through a real Mosquitto.
#include "sensor_bench.hpp"

#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "plugin_bench.hpp"
#include "support/mosquitto.hpp"

namespace storegate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Publishes `count` fridge readings at QoS 0 with mosquitto_pub (a C client that keeps
// ahead of any subscriber here; Paho's async publisher sent only ~8,000 messages/s).
void publish(const test::MosquittoBroker& broker, uint64_t count) {
  const std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker.port()) +
                          " -t sensors/temp/1 -q 0 -l";
  FILE* pub = ::popen(cmd.c_str(), "w");
  if (pub == nullptr) throw std::runtime_error("cannot run " + cmd);
  for (uint64_t i = 0; i < count; ++i) std::fprintf(pub, "{\"c\":%.1f}\n", 3 + double(i % 50) / 10);
  ::pclose(pub);
}

bool waitFor(const std::function<uint64_t()>& have, uint64_t n, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (have() < n && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return have() >= n;
}

}  // namespace

SensorResult sensorRun(const std::filesystem::path& dir, uint64_t messages) {
  SensorResult out;
  if (!std::filesystem::exists(std::filesystem::path(STOREGATE_BUNDLED_PLUGIN_DIR) /
                               "sensor_mqtt.so") ||
      !std::filesystem::exists("/usr/sbin/mosquitto"))
    return out;
  out.ran = true;
  test::MosquittoBroker broker(dir / "broker");
  {
    std::atomic<uint64_t> got{0};
    mqtt::async_client sub(broker.url(), "bench-sensor-sub");
    sub.set_message_callback([&](mqtt::const_message_ptr) { ++got; });
    sub.connect()->wait();
    sub.subscribe("sensors/#", 0)->wait();
    const auto start = Clock::now();
    publish(broker, messages);
    const bool ok = waitFor([&] { return got.load(); }, messages, 120s);
    out.bare_mps =
        ok ? double(messages) / std::chrono::duration<double>(Clock::now() - start).count() : 0;
    sub.disconnect()->wait();
  }
  {
    PluginBench rig(dir);
    PluginManager& plugins = *rig.plugins;
    InstanceSpec s;
    s.name = "sensors";
    s.plugin = "sensor_mqtt";
    s.path = "plugins[0]";
    s.config = {
        {"broker_url", broker.url()},
        {"mappings", nlohmann::json::parse(
                         R"([{"topic":"sensors/temp/+","sensor":"fridge-{1}","value":"c"}])")},
        {"queue_limit", 100000}};
    s.delivery.match = {"store.command"};
    if (!plugins.add(s).ok()) return out;
    const auto connected = Clock::now() + 20s;
    while (plugins.get("sensors")->health != "ok" && Clock::now() < connected)
      std::this_thread::sleep_for(5ms);
    const auto start = Clock::now();
    publish(broker, messages);
    out.complete = waitFor([&] { return rig.buffer->stats().last_sequence; }, messages, 120s);
    out.plugin_mps = double(messages) / std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace storegate::bench
