// platform_mqtt: the store's uplink to the brand's MQTT broker cluster.
//
// Sink: buffered events go up as CloudEvents JSON (one per message, or batches), and a
// batch is accepted only once the broker acknowledged it (QoS 1), so the buffer — not
// Paho's own persistence — stays the truth. Source: commands and roster updates from the
// cloud come down as events. The client is never called from its own callbacks; one
// supervisor thread owns connecting, and reconnects with backoff when the link drops or
// a publish goes unacknowledged past its deadline (a silently dead link).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>

#include "outbound.hpp"        // platform_common
#include "privacy.hpp"         // platform_common
#include "pseudonymizer.hpp"   // platform_common
#include "topic_template.hpp"  // platform_common

namespace mqtt {
class async_client;
class connect_options;
}  // namespace mqtt

namespace storegate::plugins::platform_mqtt {

struct Settings {
  std::string broker_url;
  std::string client_id;
  int mqtt_version = 4;  // Paho's constant: 4 = 3.1.1, 5 = 5
  std::string username;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify = true;
  int qos = 1;
  bool clean_session = false;
  std::chrono::milliseconds keepalive{};
  std::chrono::milliseconds connect_timeout{};
  std::chrono::milliseconds publish_timeout{};
  std::chrono::milliseconds min_backoff{};
  std::chrono::milliseconds max_backoff{};
  std::string topic;
  size_t batch_events = 1;
  size_t batch_bytes = 0;
  std::string status_topic;
  std::string command_topic;
  std::string roster_topic;
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

  void supervise();
  bool connectOnce();
  void disconnect(std::chrono::milliseconds timeout, bool say_offline);
  void onMessage(const std::string& topic, const std::string& payload);
  void emitInbound(const std::vector<sdk::Event>& events, const char* what);
  [[nodiscard]] std::string statusJson(const char* status, const char* reason) const;
  void problem(const std::string& message);

  const Settings settings_;
  const platform::Pseudonymizer pseudonymizer_;
  const platform::TopicTemplate topic_;
  const std::string status_topic_;
  const std::string command_topic_;
  const std::string roster_topic_;

  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<mqtt::connect_options> connect_options_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> link_suspect_{false};  // the watchdog asks for a reconnect
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::string last_problem_;  // under mu_
  std::thread supervisor_;
};

}  // namespace storegate::plugins::platform_mqtt
