// platform_mqtt: the store's uplink to the brand's MQTT broker cluster.
//
// Sink: buffered events go up as CloudEvents JSON (one per message, or batches), and a
// batch is accepted only once the broker acknowledged it (QoS 1), so the buffer — not
// Paho's own persistence — stays the truth. Source: commands and roster updates from the
// cloud come down as events. The client is never called from its own callbacks; one
// supervisor thread owns connecting, and reconnects with backoff when the link drops or
// a publish goes unacknowledged past its deadline (a silently dead link); see mqtt_link.hpp.
#pragma once

#include <atomic>
#include <memory>
#include <storegate/sdk.hpp>
#include <string>

#include "mqtt_link.hpp"       // mqtt_common
#include "outbound.hpp"        // platform_common
#include "privacy.hpp"         // platform_common
#include "pseudonymizer.hpp"   // platform_common
#include "topic_template.hpp"  // platform_common

namespace storegate::plugins::platform_mqtt {

struct Settings {
  mqtt_link::LinkSettings link;
  int qos = 1;
  std::chrono::milliseconds publish_timeout{};
  std::string topic;
  size_t batch_events = 1;
  size_t batch_bytes = 0;
  std::string status_topic;
  std::string command_topic;
  std::string roster_topic;
  std::string response_topic;
  size_t roster_chunk = 1000;

  static Settings from(const sdk::Config& c, const std::string& store_id);
};

class PlatformMqtt final : public sdk::Plugin {
 public:
  PlatformMqtt(sdk::Host host, const sdk::Config& config);
  ~PlatformMqtt() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override;
  sg_health_level health() override;

 private:
  struct Message;  // one MQTT message and the events it carries

  void onMessage(const std::string& topic, const std::string& payload);
  void emitInbound(const std::vector<sdk::Event>& events, const char* what);
  [[nodiscard]] std::string statusJson(const char* status, const char* reason) const;

  const Settings settings_;
  const platform::Pseudonymizer pseudonymizer_;
  const platform::TopicTemplate topic_;
  const std::string status_topic_;
  const std::string command_topic_;
  const std::string roster_topic_;
  const std::string response_topic_;

  mqtt_link::MqttLink link_;
  std::atomic<bool> stopping_{false};
};

}  // namespace storegate::plugins::platform_mqtt
