#include "support/mqtt_client.hpp"

#include <mqtt/async_client.h>

namespace storegate::test {

MqttTestClient::MqttTestClient(const std::string& url, const std::string& client_id,
                               const std::string& filter, bool persistent) {
  mqtt::create_options create(MQTTVERSION_3_1_1);
  create.set_max_buffered_messages(100000);
  client_ = std::make_unique<mqtt::async_client>(url, client_id, create, nullptr);
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    std::lock_guard lock(mu_);
    received_.push_back({m->get_topic(), m->to_string(), m->is_retained()});
  });
  mqtt::connect_options opts;
  opts.set_clean_session(!persistent);
  opts.set_automatic_reconnect(std::chrono::milliseconds(100), std::chrono::milliseconds(500));
  opts.set_keep_alive_interval(std::chrono::seconds(5));
  client_->connect(opts)->wait_for(std::chrono::seconds(10));
  if (!client_->is_connected()) throw std::runtime_error("test client cannot connect to " + url);
  if (!filter.empty()) {
    client_->subscribe(filter, 1)->wait_for(std::chrono::seconds(10));
    // Subscribe again on every reconnect: a restarted broker without persistence forgets.
    client_->set_connected_handler(
        [this, filter](const std::string&) { client_->subscribe(filter, 1); });
  }
}

MqttTestClient::~MqttTestClient() {
  try {
    if (client_->is_connected()) client_->disconnect(500)->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
}

void MqttTestClient::publish(const std::string& topic, const std::string& payload, bool retained) {
  client_->publish(topic, payload.data(), payload.size(), 1, retained)
      ->wait_for(std::chrono::seconds(10));
}

std::vector<ReceivedMessage> MqttTestClient::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

size_t MqttTestClient::count() const {
  std::lock_guard lock(mu_);
  return received_.size();
}

bool MqttTestClient::connected() const {
  return client_->is_connected();
}

}  // namespace storegate::test
