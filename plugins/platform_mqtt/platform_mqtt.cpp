#include "platform_mqtt.hpp"

#include <mqtt/async_client.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "roster.hpp"  // platform_common

namespace storegate::plugins::platform_mqtt {

namespace {
using namespace std::chrono_literals;

std::string sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}
}  // namespace

Settings Settings::from(const sdk::Config& c, const std::string& store_id) {
  Settings s;
  s.link = mqtt_link::LinkSettings::from(c, "storegate-" + store_id);
  s.link.clean_session = c.getBool("clean_session");
  s.qos = static_cast<int>(c.getInt("qos"));
  s.publish_timeout = c.getDuration("publish_timeout");
  s.topic = c.getString("topic");
  s.batch_events = static_cast<size_t>(c.getInt("batch.max_events"));
  s.batch_bytes = c.getSize("batch.max_bytes");
  s.status_topic = c.getString("status_topic");
  s.command_topic = c.isSet("command_topic") ? c.getString("command_topic") : "";
  s.roster_topic = c.isSet("roster_topic") ? c.getString("roster_topic") : "";
  s.response_topic = c.getString("response_topic");
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
      roster_topic_(fixedTopic(settings_.roster_topic, this->host())),
      response_topic_(fixedTopic(settings_.response_topic, this->host())),
      link_(this->host(), settings_.link) {
  if (status_topic_.empty()) throw sdk::Error("status_topic must not be empty", SG_ERR_INVALID);
  link_.setWill(status_topic_, statusJson("offline", "connection lost"));
  link_.setOnlineStatus(status_topic_, statusJson("online", nullptr));
  link_.subscribe(command_topic_, 1);
  link_.subscribe(roster_topic_, 1);
  link_.onMessage(
      [this](const std::string& topic, const std::string& payload) { onMessage(topic, payload); });
}

PlatformMqtt::~PlatformMqtt() = default;

void PlatformMqtt::start() {
  stopping_ = false;
  link_.start();
}

void PlatformMqtt::stop(std::chrono::milliseconds deadline) {
  stopping_ = true;
  link_.stop(std::clamp(deadline, 200ms, 2000ms),
             std::make_pair(status_topic_, statusJson("offline", "shutdown")));
}

std::string PlatformMqtt::statusJson(const char* status, const char* reason) const {
  nlohmann::json j{{"status", status},
                   {"storeid", host().storeId()},
                   {"instance", host().instanceName()},
                   {"client_id", settings_.link.client_id}};
  if (reason != nullptr) j["reason"] = reason;
  return j.dump();
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
      link_.problem(std::string("could not store a ") + what + " from the cloud (status " +
                    std::to_string(s) + ")");
      return;
    }
    std::this_thread::sleep_for(std::min(1000ms, 10ms * (attempt + 1)));
  }
}

void PlatformMqtt::onMessage(const std::string& topic, const std::string& payload) {
  if (topic == command_topic_) {
    const nlohmann::json cmd = sdk::jsonNesting(payload) > sdk::kMaxJsonDepth
                                   ? nlohmann::json()
                                   : nlohmann::json::parse(payload, nullptr, false);
    if (!cmd.is_object() || !cmd.contains("name") || !cmd["name"].is_string()) {
      host().counterAdd("commands_rejected");
      link_.problem("command on '" + topic +
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
    if (cmd.contains("token") && cmd["token"].is_string()) {
      // A remote admin request's token never reaches the buffer: only its SHA-256 does,
      // which is what the gateway's token file holds.
      nlohmann::json hashed = cmd;
      hashed["token_sha256"] = sha256Hex(cmd["token"].get_ref<const std::string&>());
      hashed.erase("token");
      e.data = hashed.dump();
    }
    emitInbound({e}, "commands");
  } else if (topic == roster_topic_) {
    try {
      const platform::RosterUpdate update = platform::parseRosterUpdate(payload);
      emitInbound(platform::rosterEvents(update, settings_.roster_chunk), "roster_updates");
    } catch (const sdk::Error& e) {
      host().counterAdd("roster_rejected");
      link_.problem(std::string("roster update refused: ") + e.what());
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
  if (!link_.up()) return sdk::DeliveryOutcome::retry(0, settings_.link.min_backoff);

  // Plan the messages. Held-back events settle with the message before or after them.
  const int64_t now = host().nowUnixNs();
  std::vector<Message> messages;
  size_t expired = 0;
  Message open;
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
    // Answers to remote admin requests go to the response topic as they are.
    const bool answer = sdk::view(e.type) == "store.command.result" && !response_topic_.empty();
    std::string topic = answer ? response_topic_ : topic_.render(e);
    std::string json =
        answer ? std::string(sdk::view(e.data)) : platform::renderCloudEvent(e, pseudonymizer_);
    const bool fits = !answer && open.events > 0 && open.events < settings_.batch_events &&
                      topic == open.topic &&
                      open.payload.size() + json.size() + 2 <= settings_.batch_bytes;
    if (!fits) close();  // an answer never fits: it is always a message of its own
    if (answer) {
      messages.push_back({std::move(topic), std::move(json), i + 1, 1});
      continue;
    }
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
      tokens.push_back(link_.client().publish(m.topic, m.payload.data(), m.payload.size(),
                                              settings_.qos, false));
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
        link_.suspect();
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
    link_.problem(failure);
    return sdk::DeliveryOutcome::retry(settled, settings_.link.min_backoff);
  }
  return sdk::DeliveryOutcome::all(events.size());
}

sg_health_level PlatformMqtt::health() {
  if (link_.up()) return SG_HEALTH_OK;
  host().setError(link_.lastProblem());
  return SG_HEALTH_DEGRADED;
}

}  // namespace storegate::plugins::platform_mqtt
