// A test's own MQTT client (Paho): plays the cloud — subscribes and records what the
// gateway publishes, and publishes commands and rosters down to it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace storegate::test {

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class MqttTestClient {
 public:
  // Connects (persistent session when `persistent`, reconnecting by itself) and
  // subscribes to `filter` at QoS 1 unless it is empty. Throws when it cannot connect.
  MqttTestClient(const std::string& url, const std::string& client_id, const std::string& filter,
                 bool persistent = false);
  ~MqttTestClient();

  void publish(const std::string& topic, const std::string& payload, bool retained = false);
  [[nodiscard]] std::vector<ReceivedMessage> received() const;
  [[nodiscard]] size_t count() const;
  [[nodiscard]] bool connected() const;

 private:
  std::unique_ptr<mqtt::async_client> client_;
  mutable std::mutex mu_;
  std::vector<ReceivedMessage> received_;
};

}  // namespace storegate::test
