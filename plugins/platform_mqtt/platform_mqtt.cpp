#include "platform_mqtt.hpp"

#include <mqtt/async_client.h>

#include <nlohmann/json.hpp>
#include <random>

#include "roster.hpp"  // platform_common

namespace storegate::plugins::platform_mqtt {

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

Settings Settings::from(const sdk::Config& c, const std::string& store_id) {
  Settings s;
  s.broker_url = pahoUrl(c.getString("broker_url"));
  if (s.broker_url.rfind("tcp://", 0) != 0 && !isTls(s.broker_url)) {
    throw sdk::Error("broker_url '" + c.getString("broker_url") +
                         "' must start with tcp://, ssl://, mqtt:// or mqtts://",
                     SG_ERR_INVALID);
  }
  s.client_id = c.isSet("client_id") ? c.getString("client_id") : "storegate-" + store_id;
  s.mqtt_version = c.getString("mqtt_version") == "5" ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  if (c.isSet("username")) s.username = c.getString("username");
  if (c.isSet("password")) s.password = c.getString("password");
  if (c.isSet("tls.ca_file")) s.ca_file = c.getString("tls.ca_file");
  if (c.isSet("tls.cert_file")) s.cert_file = c.getString("tls.cert_file");
  if (c.isSet("tls.key_file")) s.key_file = c.getString("tls.key_file");
  if (s.cert_file.empty() != s.key_file.empty())
    throw sdk::Error("tls.cert_file and tls.key_file go together: set both or neither",
                     SG_ERR_INVALID);
  s.verify = c.getBool("tls.verify");
  s.qos = static_cast<int>(c.getInt("qos"));
  s.clean_session = c.getBool("clean_session");
  s.keepalive = c.getDuration("keepalive");
  s.connect_timeout = c.getDuration("connect_timeout");
  s.publish_timeout = c.getDuration("publish_timeout");
  s.min_backoff = c.getDuration("reconnect.min_backoff");
  s.max_backoff = c.getDuration("reconnect.max_backoff");
  if (s.max_backoff < s.min_backoff)
    throw sdk::Error("reconnect.max_backoff must not be below reconnect.min_backoff",
                     SG_ERR_INVALID);
  s.topic = c.getString("topic");
  s.batch_events = static_cast<size_t>(c.getInt("batch.max_events"));
  s.batch_bytes = c.getSize("batch.max_bytes");
  s.status_topic = c.getString("status_topic");
  s.command_topic = c.isSet("command_topic") ? c.getString("command_topic") : "";
  s.roster_topic = c.isSet("roster_topic") ? c.getString("roster_topic") : "";
  s.roster_chunk = static_cast<size_t>(c.getInt("roster_chunk"));
  return s;
}

namespace {
std::string fixedTopic(const std::string& text, const sdk::Host& h) {
  if (text.empty()) return {};
  const platform::TopicTemplate t(text, h.storeId(), h.instanceName());
  if (t.perEvent())
    throw sdk::Error("topic '" + text + "' may use only {storeid} and {instance}", SG_ERR_INVALID);
  return t.renderFixed();
}
}  // namespace

PlatformMqtt::PlatformMqtt(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      settings_(Settings::from(config, this->host().storeId())),
      pseudonymizer_(platform::pseudonymizerFrom(config)),
      topic_(settings_.topic, this->host().storeId(), this->host().instanceName()),
      status_topic_(fixedTopic(settings_.status_topic, this->host())),
      command_topic_(fixedTopic(settings_.command_topic, this->host())),
      roster_topic_(fixedTopic(settings_.roster_topic, this->host())) {
  if (status_topic_.empty()) throw sdk::Error("status_topic must not be empty", SG_ERR_INVALID);

  mqtt::create_options create(settings_.mqtt_version);
  // Paho's own queue only holds what is in flight; the buffer keeps the rest.
  create.set_max_buffered_messages(65535);
  client_ = std::make_unique<mqtt::async_client>(settings_.broker_url, settings_.client_id, create,
                                                 nullptr);

  auto opts = std::make_unique<mqtt::connect_options>();
  if (settings_.mqtt_version == MQTTVERSION_5) {
    opts->set_mqtt_version(MQTTVERSION_5);
    opts->set_clean_session(false);  // v5 uses clean start; Paho refuses both at once
    opts->set_clean_start(settings_.clean_session);
  } else {
    opts->set_mqtt_version(MQTTVERSION_3_1_1);
    opts->set_clean_session(settings_.clean_session);
  }
  opts->set_keep_alive_interval(
      std::chrono::duration_cast<std::chrono::seconds>(settings_.keepalive));
  opts->set_connect_timeout(
      std::max(1s, std::chrono::duration_cast<std::chrono::seconds>(settings_.connect_timeout)));
  opts->set_automatic_reconnect(false);  // the supervisor reconnects; see the header
  opts->set_max_inflight(65535);
  if (!settings_.username.empty()) opts->set_user_name(settings_.username);
  if (!settings_.password.empty()) opts->set_password(settings_.password);
  mqtt::will_options will(status_topic_, statusJson("offline", "connection lost"), 1, true);
  opts->set_will(will);
  if (isTls(settings_.broker_url)) {
    mqtt::ssl_options ssl;
    if (!settings_.ca_file.empty()) ssl.set_trust_store(settings_.ca_file);
    if (!settings_.cert_file.empty()) {
      ssl.set_key_store(settings_.cert_file);
      ssl.set_private_key(settings_.key_file);
    }
    ssl.set_enable_server_cert_auth(settings_.verify);
    ssl.set_verify(settings_.verify);
    opts->set_ssl(ssl);
  }
  connect_options_ = std::move(opts);

  // Callbacks only record and hand events to the host; they never call the client.
  client_->set_connection_lost_handler([this](const std::string&) {
    connected_ = false;
    wake_.notify_all();
  });
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    if (m) onMessage(m->get_topic(), m->to_string());
  });
}

PlatformMqtt::~PlatformMqtt() {
  // The host called stop before destroy (or start never ran); only the threads are left.
  stopping_ = true;
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
}

void PlatformMqtt::start() {
  stopping_ = false;
  supervisor_ = std::thread([this] { supervise(); });
}

void PlatformMqtt::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  if (client_) disconnect(std::clamp(deadline, 200ms, 2000ms), true);
}

std::string PlatformMqtt::statusJson(const char* status, const char* reason) const {
  nlohmann::json j{{"status", status},
                   {"storeid", host().storeId()},
                   {"instance", host().instanceName()},
                   {"client_id", settings_.client_id}};
  if (reason != nullptr) j["reason"] = reason;
  return j.dump();
}

void PlatformMqtt::problem(const std::string& message) {
  std::lock_guard lock(mu_);
  if (message != last_problem_) {
    host().warn(message);
    host().setError(message);
  }
  last_problem_ = message;
}

bool PlatformMqtt::connectOnce() {
  try {
    auto tok = client_->connect(*connect_options_);
    if (!tok->wait_for(settings_.connect_timeout + 1s)) {
      problem("no answer from " + settings_.broker_url + " within connect_timeout");
      return false;
    }
    const auto subscribe = [&](const std::string& topic) {
      if (topic.empty()) return;
      if (!client_->subscribe(topic, 1)->wait_for(settings_.connect_timeout))
        throw mqtt::exception(MQTTASYNC_FAILURE, "subscribe to '" + topic + "' timed out");
    };
    subscribe(command_topic_);
    subscribe(roster_topic_);
    auto online = client_->publish(status_topic_, statusJson("online", nullptr), 1, true);
    if (!online->wait_for(settings_.publish_timeout))
      throw mqtt::exception(MQTTASYNC_FAILURE, "status publish was not acknowledged");
  } catch (const mqtt::exception& e) {
    problem("cannot connect to " + settings_.broker_url + ": " + e.what());
    return false;
  }
  {
    std::lock_guard lock(mu_);
    last_problem_.clear();
  }
  connected_ = true;
  link_suspect_ = false;
  host().gaugeSet("connected", 1);
  host().info("connected to " + settings_.broker_url + " as " + settings_.client_id);
  return true;
}

void PlatformMqtt::disconnect(std::chrono::milliseconds timeout, bool say_offline) {
  const bool was = connected_.exchange(false);
  try {
    if (say_offline && was && client_->is_connected()) {
      client_->publish(status_topic_, statusJson("offline", "shutdown"), 1, true)
          ->wait_for(timeout);
    }
    if (client_->is_connected()) client_->disconnect(timeout)->wait_for(timeout + 500ms);
  } catch (const mqtt::exception&) {
    // Already gone: nothing to say goodbye to.
  }
  host().gaugeSet("connected", 0);
}

void PlatformMqtt::supervise() {
  std::mt19937 rng(std::random_device{}());
  auto backoff = settings_.min_backoff;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const bool healthy = connected_ && !link_suspect_ && client_->is_connected();
    if (healthy) {
      wake_.wait_for(lock, 1s);
      continue;
    }
    lock.unlock();
    if (connected_ || link_suspect_) {
      host().warn(link_suspect_ ? "link looks dead (publish unacknowledged); reconnecting"
                                : "connection to the broker lost; reconnecting");
      disconnect(1s, false);
    }
    const bool ok = connectOnce();
    lock.lock();
    if (ok) {
      backoff = settings_.min_backoff;
      continue;
    }
    host().counterAdd("connect_failures");
    // Full jitter: routers of a whole fleet must not reconnect in step after an outage.
    std::uniform_int_distribution<int64_t> pick(backoff.count() / 2, backoff.count());
    wake_.wait_for(lock, std::chrono::milliseconds(pick(rng)), [&] { return stopping_.load(); });
    backoff = std::min(settings_.max_backoff, backoff * 2);
  }
}

void PlatformMqtt::emitInbound(const std::vector<sdk::Event>& events, const char* what) {
  // Runs on Paho's thread: the broker gets its PUBACK only after this returns, so an
  // inbound message is durable here before the cloud considers it delivered.
  for (int attempt = 0; !stopping_; ++attempt) {
    const sg_status s = host().emitBatch(events);
    if (s == SG_OK) {
      host().counterAdd(std::string(what) + "_received", static_cast<double>(events.size()));
      return;
    }
    if (s != SG_ERR_BACKPRESSURE) {
      problem(std::string("could not store a ") + what + " from the cloud (status " +
              std::to_string(s) + ")");
      return;
    }
    std::this_thread::sleep_for(std::min(1000ms, 10ms * (attempt + 1)));
  }
}

void PlatformMqtt::onMessage(const std::string& topic, const std::string& payload) {
  if (topic == command_topic_) {
    const nlohmann::json cmd = nlohmann::json::parse(payload, nullptr, false);
    if (!cmd.is_object() || !cmd.contains("name") || !cmd["name"].is_string()) {
      host().counterAdd("commands_rejected");
      problem("command on '" + topic +
              "' refused: expected a JSON object with a string \"name\", got " +
              std::to_string(payload.size()) + " bytes");
      return;
    }
    sdk::Event e;
    e.type = "store.command";
    e.subject = cmd["name"].get<std::string>();
    if (cmd.contains("id") && cmd["id"].is_string())
      e.dedupkey = "command/" + cmd["id"].get<std::string>();
    e.data = payload;
    emitInbound({e}, "commands");
  } else if (topic == roster_topic_) {
    try {
      const platform::RosterUpdate update = platform::parseRosterUpdate(payload);
      emitInbound(platform::rosterEvents(update, settings_.roster_chunk), "roster_updates");
    } catch (const sdk::Error& e) {
      host().counterAdd("roster_rejected");
      problem(std::string("roster update refused: ") + e.what());
    }
  }
}

struct PlatformMqtt::Message {
  std::string topic;
  std::string payload;
  size_t end = 0;  // events [0, end) are settled once this message is acknowledged
  size_t events = 0;
};

sdk::DeliveryOutcome PlatformMqtt::deliver(std::span<const sg_event> events) {
  if (!connected_ || link_suspect_) return sdk::DeliveryOutcome::retry(0, settings_.min_backoff);

  // Plan the messages. Held-back events settle with the message before or after them.
  const int64_t now = host().nowUnixNs();
  std::vector<Message> messages;
  size_t expired = 0;
  Message open;
  std::string open_topic;
  const auto close = [&] {
    if (open.events == 0) return;
    if (settings_.batch_events > 1) open.payload += "]";
    messages.push_back(std::move(open));
    open = Message{};
  };
  for (size_t i = 0; i < events.size(); ++i) {
    const sg_event& e = events[i];
    const auto verdict = platform::classify(e, host().instanceName(), now);
    if (verdict != platform::Verdict::kSend) {
      if (verdict == platform::Verdict::kExpired) ++expired;
      if (open.events > 0) open.end = i + 1;
      continue;
    }
    std::string topic = topic_.render(e);
    std::string json = platform::renderCloudEvent(e, pseudonymizer_);
    const bool fits = open.events > 0 && open.events < settings_.batch_events &&
                      topic == open.topic &&
                      open.payload.size() + json.size() + 2 <= settings_.batch_bytes;
    if (!fits) close();
    if (open.events == 0) {
      open.topic = std::move(topic);
      if (settings_.batch_events > 1) open.payload = "[";
    } else {
      open.payload += ",";
    }
    open.payload += json;
    open.events++;
    open.end = i + 1;
  }
  close();

  // Events [0, settled) may be accepted: those of every acknowledged message, and the
  // held-back ones among them.
  size_t settled = messages.empty() ? events.size() : 0;

  std::vector<mqtt::delivery_token_ptr> tokens;
  tokens.reserve(messages.size());
  std::string failure;
  try {
    for (const Message& m : messages) {
      tokens.push_back(
          client_->publish(m.topic, m.payload.data(), m.payload.size(), settings_.qos, false));
    }
  } catch (const mqtt::exception& e) {
    failure = std::string("publish failed: ") + e.what();
  }
  const auto deadline = std::chrono::steady_clock::now() + settings_.publish_timeout;
  size_t published_events = 0;
  size_t acked = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    try {
      const auto left = std::max(std::chrono::steady_clock::duration(0),
                                 deadline - std::chrono::steady_clock::now());
      if (!tokens[i]->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
        failure = "broker did not acknowledge within publish_timeout";
        host().counterAdd("publish_timeouts");
        link_suspect_ = true;
        wake_.notify_all();
        break;
      }
    } catch (const mqtt::exception& e) {
      failure = std::string("publish not acknowledged: ") + e.what();
      break;
    }
    settled = messages[i].end;
    published_events += messages[i].events;
    ++acked;
  }
  if (failure.empty() && tokens.size() == messages.size()) settled = events.size();

  host().counterAdd("messages_published", static_cast<double>(acked));
  host().counterAdd("events_published", static_cast<double>(published_events));
  if (expired > 0) host().counterAdd("events_expired", static_cast<double>(expired));
  if (!failure.empty()) {
    problem(failure);
    return sdk::DeliveryOutcome::retry(settled, settings_.min_backoff);
  }
  return sdk::DeliveryOutcome::all(events.size());
}

sg_health_level PlatformMqtt::health() {
  if (connected_ && !link_suspect_) return SG_HEALTH_OK;
  std::lock_guard lock(mu_);
  host().setError(last_problem_.empty() ? "not connected to " + settings_.broker_url
                                        : last_problem_);
  return SG_HEALTH_DEGRADED;
}

}  // namespace storegate::plugins::platform_mqtt
