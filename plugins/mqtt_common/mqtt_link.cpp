#include "mqtt_link.hpp"

#include <mqtt/async_client.h>

#include <random>

namespace storegate::plugins::mqtt_link {

namespace {
using namespace std::chrono_literals;

// Paho speaks tcp:// and ssl://; accept the mqtt:// and mqtts:// spellings brokers document.
std::string pahoUrl(std::string url) {
  if (url.rfind("mqtts://", 0) == 0) return "ssl://" + url.substr(8);
  if (url.rfind("mqtt://", 0) == 0) return "tcp://" + url.substr(7);
  return url;
}

bool isTls(const std::string& url) {
  return url.rfind("ssl://", 0) == 0;
}
}  // namespace

LinkSettings LinkSettings::from(const sdk::Config& c, std::string default_client_id) {
  LinkSettings s;
  s.url = pahoUrl(c.getString("broker_url"));
  if (s.url.rfind("tcp://", 0) != 0 && !isTls(s.url)) {
    throw sdk::Error("broker_url '" + c.getString("broker_url") +
                         "' must start with tcp://, ssl://, mqtt:// or mqtts://",
                     SG_ERR_INVALID);
  }
  s.client_id = c.isSet("client_id") ? c.getString("client_id") : std::move(default_client_id);
  s.mqtt_version = c.getString("mqtt_version") == "5" ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  if (c.isSet("username")) s.username = c.getString("username");
  if (c.isSet("password")) s.password = c.getString("password");
  s.tls = TlsClient::from(c);
  s.keepalive = c.getDuration("keepalive");
  s.connect_timeout = c.getDuration("connect_timeout");
  s.min_backoff = c.getDuration("reconnect.min_backoff");
  s.max_backoff = c.getDuration("reconnect.max_backoff");
  if (s.max_backoff < s.min_backoff)
    throw sdk::Error("reconnect.max_backoff must not be below reconnect.min_backoff",
                     SG_ERR_INVALID);
  return s;
}

MqttLink::MqttLink(sdk::Host host, LinkSettings settings)
    : host_(std::move(host)), settings_(std::move(settings)) {
  mqtt::create_options create(settings_.mqtt_version);
  // Paho's own queue only holds what is in flight; the buffer keeps the rest.
  create.set_max_buffered_messages(65535);
  client_ =
      std::make_unique<mqtt::async_client>(settings_.url, settings_.client_id, create, nullptr);

  options_ = std::make_unique<mqtt::connect_options>();
  if (settings_.mqtt_version == MQTTVERSION_5) {
    options_->set_mqtt_version(MQTTVERSION_5);
    options_->set_clean_session(false);  // v5 uses clean start; Paho refuses both at once
    options_->set_clean_start(settings_.clean_session);
  } else {
    options_->set_mqtt_version(MQTTVERSION_3_1_1);
    options_->set_clean_session(settings_.clean_session);
  }
  options_->set_keep_alive_interval(
      std::chrono::duration_cast<std::chrono::seconds>(settings_.keepalive));
  options_->set_connect_timeout(
      std::max(1s, std::chrono::duration_cast<std::chrono::seconds>(settings_.connect_timeout)));
  options_->set_automatic_reconnect(false);  // the supervisor reconnects; see the header
  options_->set_max_inflight(65535);
  if (!settings_.username.empty()) options_->set_user_name(settings_.username);
  if (!settings_.password.empty()) options_->set_password(settings_.password);
  if (isTls(settings_.url)) {
    mqtt::ssl_options ssl;
    if (!settings_.tls.ca_file.empty()) ssl.set_trust_store(settings_.tls.ca_file);
    if (!settings_.tls.cert_file.empty()) {
      ssl.set_key_store(settings_.tls.cert_file);
      ssl.set_private_key(settings_.tls.key_file);
    }
    ssl.set_enable_server_cert_auth(settings_.tls.verify);
    ssl.set_verify(settings_.tls.verify);
    options_->set_ssl(ssl);
  }

  client_->set_connection_lost_handler([this](const std::string&) {
    connected_ = false;
    wake_.notify_all();
  });
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    if (m && handler_) handler_(m->get_topic(), m->to_string());
  });
}

MqttLink::~MqttLink() {
  stopping_ = true;
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
}

void MqttLink::setWill(const std::string& topic, const std::string& payload) {
  options_->set_will(mqtt::will_options(topic, payload, 1, true));
}

void MqttLink::setOnlineStatus(const std::string& topic, const std::string& payload) {
  online_ = {topic, payload};
}

void MqttLink::subscribe(const std::string& filter, int qos) {
  if (!filter.empty()) subscriptions_.emplace_back(filter, qos);
}

void MqttLink::onMessage(MessageHandler handler) {
  handler_ = std::move(handler);
}

void MqttLink::start() {
  stopping_ = false;
  supervisor_ = std::thread([this] { supervise(); });
}

void MqttLink::stop(std::chrono::milliseconds timeout,
                    const std::optional<std::pair<std::string, std::string>>& goodbye) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  try {
    if (goodbye && connected_ && client_->is_connected()) {
      client_->publish(goodbye->first, goodbye->second.data(), goodbye->second.size(), 1, true)
          ->wait_for(timeout);
    }
  } catch (const mqtt::exception&) {
    // The link is gone: the will says offline instead.
  }
  disconnect(timeout);
}

void MqttLink::suspect() {
  suspect_ = true;
  wake_.notify_all();
}

void MqttLink::problem(const std::string& message) {
  std::lock_guard lock(mu_);
  if (message != last_problem_) host_.warn(message);
  host_.setError(message);
  last_problem_ = message;
}

void MqttLink::clearProblem() {
  std::lock_guard lock(mu_);
  last_problem_.clear();
}

std::string MqttLink::lastProblem() const {
  std::lock_guard lock(mu_);
  return last_problem_.empty() ? "not connected to " + settings_.url : last_problem_;
}

bool MqttLink::connectOnce() {
  try {
    auto tok = client_->connect(*options_);
    if (!tok->wait_for(settings_.connect_timeout + 1s)) {
      problem("no answer from " + settings_.url + " within connect_timeout");
      return false;
    }
    for (const auto& [filter, qos] : subscriptions_) {
      if (!client_->subscribe(filter, qos)->wait_for(settings_.connect_timeout))
        throw mqtt::exception(MQTTASYNC_FAILURE, "subscribe to '" + filter + "' timed out");
    }
    if (online_) {
      auto tok2 =
          client_->publish(online_->first, online_->second.data(), online_->second.size(), 1, true);
      if (!tok2->wait_for(settings_.connect_timeout))
        throw mqtt::exception(MQTTASYNC_FAILURE, "status publish was not acknowledged");
    }
  } catch (const mqtt::exception& e) {
    problem("cannot connect to " + settings_.url + ": " + e.what());
    return false;
  }
  clearProblem();
  connected_ = true;
  suspect_ = false;
  host_.gaugeSet("connected", 1);
  host_.info("connected to " + settings_.url + " as " + settings_.client_id);
  return true;
}

void MqttLink::disconnect(std::chrono::milliseconds timeout) {
  connected_ = false;
  try {
    if (client_->is_connected()) client_->disconnect(timeout)->wait_for(timeout + 500ms);
  } catch (const mqtt::exception&) {
    // Already gone.
  }
  host_.gaugeSet("connected", 0);
}

void MqttLink::supervise() {
  std::mt19937 rng(std::random_device{}());
  auto backoff = settings_.min_backoff;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (connected_ && !suspect_ && client_->is_connected()) {
      wake_.wait_for(lock, 1s);
      continue;
    }
    lock.unlock();
    if (connected_ || suspect_) {
      host_.warn(suspect_ ? "link looks dead (publish unacknowledged); reconnecting"
                          : "connection to the broker lost; reconnecting");
      disconnect(1s);
    }
    const bool ok = connectOnce();
    lock.lock();
    if (ok) {
      backoff = settings_.min_backoff;
      continue;
    }
    host_.counterAdd("connect_failures");
    // Full jitter: routers of a whole fleet must not reconnect in step after an outage.
    std::uniform_int_distribution<int64_t> pick(backoff.count() / 2, backoff.count());
    wake_.wait_for(lock, std::chrono::milliseconds(pick(rng)), [&] { return stopping_.load(); });
    backoff = std::min(settings_.max_backoff, backoff * 2);
  }
}

}  // namespace storegate::plugins::mqtt_link
