// One supervised MQTT connection for a plugin (Paho C++ async client), shared by the cloud
// uplink and the local sensor bridge.
//
// The rules learnt from Paho's reported failures (see docs/architecture.md): Paho's own
// persistence and automatic reconnect are off; one supervisor thread connects, subscribes,
// publishes the retained "online" status and reconnects with exponential backoff and full
// jitter; callbacks only record state or hand a message to the plugin, and never call the
// client; a publish left unacknowledged is reported with suspect() and the link is rebuilt.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tls_client.hpp"  // plugins/common

namespace mqtt {
class async_client;
class connect_options;
}  // namespace mqtt

namespace storegate::plugins::mqtt_link {

// The connection options every MQTT plugin declares (names as in the config).
inline constexpr sg_str kMqttVersions[] = {SG_STR("3.1.1"), SG_STR("5")};
inline constexpr std::array<sg_property, 13> kLinkProperties{
    sdk::Property::String("broker_url",
                          "Broker: tcp://host:1883, ssl://host:8883 (mqtt:// and mqtts:// also "
                          "accepted)")
        .required(),
    sdk::Property::String("client_id", "MQTT client id; default storegate-<storeid>[-<instance>]"),
    sdk::Property::Enum("mqtt_version", "Protocol version", kMqttVersions, 2).defaultValue("3.1.1"),
    sdk::Property::String("username", "Broker user name"),
    sdk::Property::String("password", "Broker password").secret(),
    sdk::Property::String("tls.ca_file",
                          "PEM file of the CA(s) that signed the broker's certificate")
        .path(),
    sdk::Property::String("tls.cert_file", "PEM client certificate (with tls.key_file)").path(),
    sdk::Property::String("tls.key_file", "PEM private key of the client certificate").path(),
    sdk::Property::Bool("tls.verify", "Verify the broker's certificate and host name")
        .defaultValue("true"),
    sdk::Property::Duration("keepalive",
                            "MQTT keep-alive: a silent link is noticed within 1.5x this")
        .defaultValue("30s")
        .range(1000, 3'600'000),
    sdk::Property::Duration("connect_timeout", "How long one connection attempt may take")
        .defaultValue("10s")
        .range(1000, 120'000),
    sdk::Property::Duration("reconnect.min_backoff", "First wait before reconnecting")
        .defaultValue("1s")
        .range(10, 600'000),
    sdk::Property::Duration("reconnect.max_backoff", "Longest wait between reconnect attempts")
        .defaultValue("60s")
        .range(10, 3'600'000),
};

// Concatenates property tables at compile time (a plugin's own after the link's).
template <size_t N, size_t M>
constexpr std::array<sg_property, N + M> concat(const std::array<sg_property, N>& a,
                                                const std::array<sg_property, M>& b) {
  std::array<sg_property, N + M> out{};
  for (size_t i = 0; i < N; ++i) out[i] = a[i];
  for (size_t i = 0; i < M; ++i) out[N + i] = b[i];
  return out;
}

struct LinkSettings {
  std::string url;  // tcp:// or ssl://
  std::string client_id;
  int mqtt_version = 4;  // Paho's constants: 4 = 3.1.1, 5 = 5
  std::string username;
  std::string password;
  TlsClient tls;
  bool clean_session = true;
  std::chrono::milliseconds keepalive{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};

  // Reads kLinkProperties; throws sdk::Error (SG_ERR_INVALID) naming what is wrong.
  static LinkSettings from(const sdk::Config& c, std::string default_client_id);
};

class MqttLink {
 public:
  using MessageHandler = std::function<void(const std::string& topic, const std::string& payload)>;

  MqttLink(sdk::Host host, LinkSettings settings);
  ~MqttLink();  // stops the supervisor; the plugin calls stop() first
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Configuration, before start().
  void setWill(const std::string& topic, const std::string& payload);          // retained
  void setOnlineStatus(const std::string& topic, const std::string& payload);  // at each connect
  void subscribe(const std::string& filter, int qos);
  // Called on Paho's thread; the broker gets its PUBACK when it returns.
  void onMessage(MessageHandler handler);

  void start();
  // Joins the supervisor, publishes `goodbye` (retained) if connected, disconnects.
  void stop(std::chrono::milliseconds timeout,
            const std::optional<std::pair<std::string, std::string>>& goodbye = std::nullopt);

  [[nodiscard]] bool up() const noexcept { return connected_ && !suspect_; }
  // A publish went unacknowledged past its deadline: rebuild the link.
  void suspect();
  [[nodiscard]] mqtt::async_client& client() { return *client_; }
  [[nodiscard]] const LinkSettings& settings() const noexcept { return settings_; }

  // The last problem, warned once per change and recorded as the instance's last error.
  void problem(const std::string& message);
  void clearProblem();
  [[nodiscard]] std::string lastProblem() const;

 private:
  void supervise();
  bool connectOnce();
  void disconnect(std::chrono::milliseconds timeout);

  const sdk::Host host_;
  const LinkSettings settings_;
  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<mqtt::connect_options> options_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::optional<std::pair<std::string, std::string>> online_;
  MessageHandler handler_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> suspect_{false};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string last_problem_;  // under mu_
  std::thread supervisor_;
};

}  // namespace storegate::plugins::mqtt_link
