// sensor_mqtt: the bridge to the store's own MQTT broker, where door beams, shelf scales
// and electronic shelf labels (ESL) talk.
//
// Source: messages on the mapped topics become store.sensor.reading events, threshold
// crossings store.sensor.alert (with hysteresis), shelf weights store.shelf.pickup /
// store.shelf.putback once settled. Paho's callback only queues a message (bounded; a
// full queue holds the broker back); one worker thread maps the queue and emits it in
// batches, so tens of thousands of messages a second cost one group commit per batch.
// A message that cannot be read is counted, written to the quarantine file if configured,
// and reported as the last error — never silently dropped.
// Sink: `store.command` events named `esl.command` (price updates from the cloud) are
// published to the label's topic on the local broker and accepted once acknowledged.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>
#include <vector>

#include "mapping.hpp"
#include "mqtt_link.hpp"  // mqtt_common
#include "shelf.hpp"

namespace storegate::plugins::sensor_mqtt {

struct Settings {
  mqtt_link::LinkSettings link;
  std::vector<Mapping> mappings;
  int qos = 0;
  size_t queue_limit = 0;
  size_t batch = 0;
  std::chrono::milliseconds flush{};
  std::string esl_command;
  std::string esl_topic;
  std::filesystem::path quarantine_file;  // empty: count and log only

  static Settings from(const sdk::Config& c, const sdk::Host& h);
};

class SensorMqtt final : public sdk::Plugin {
 public:
  SensorMqtt(sdk::Host host, const sdk::Config& config);
  ~SensorMqtt() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override;
  sg_health_level health() override;

 private:
  struct Inbound {
    std::string topic;
    std::string payload;
    int64_t time_ns;
  };
  struct AlertState {
    bool above = false;
    bool below = false;
  };

  void enqueue(const std::string& topic, const std::string& payload);
  void work();
  void map(const Inbound& m, std::vector<sdk::Event>& out);
  void alerts(const Mapping& m, const std::string& sensor, double value, int64_t t,
              std::vector<sdk::Event>& out);
  void shelf(const std::string& sensor, const std::optional<ShelfChange>& c, int64_t t,
             std::vector<sdk::Event>& out);
  void reject(const Inbound& m, const std::string& reason);
  void emitAll(std::vector<sdk::Event>& events);

  const Settings settings_;
  mqtt_link::MqttLink link_;
  std::mutex mu_;
  std::condition_variable ready_;  // the worker: messages arrived, or stopping
  std::condition_variable room_;   // the callback: the queue has room again
  std::deque<Inbound> queue_;
  bool stopping_ = false;
  std::thread worker_;
  // Worker-thread state.
  std::map<std::string, AlertState> alert_state_;
  std::map<std::string, std::pair<const Mapping*, ShelfTracker>> shelves_;
  uint64_t rejected_ = 0;
};

}  // namespace storegate::plugins::sensor_mqtt
