#include "sensor_mqtt.hpp"

#include <mqtt/async_client.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace storegate::plugins::sensor_mqtt {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;
}  // namespace

Settings Settings::from(const sdk::Config& c, const sdk::Host& h) {
  Settings s;
  s.link = mqtt_link::LinkSettings::from(c, "storegate-" + h.storeId() + "-" + h.instanceName());
  s.link.clean_session = true;  // the buffer, not the local broker, keeps what matters
  s.mappings = parseMappings(c.getJson("mappings"));
  s.qos = static_cast<int>(c.getInt("qos"));
  s.queue_limit = static_cast<size_t>(c.getInt("queue_limit"));
  s.batch = static_cast<size_t>(c.getInt("batch"));
  s.flush = c.getDuration("flush_interval");
  s.esl_command = c.getString("esl.command");
  s.esl_topic = c.getString("esl.topic");
  if (s.esl_topic.find("{label}") == std::string::npos)
    throw sdk::Error("esl.topic '" + s.esl_topic + "' must contain {label}", SG_ERR_INVALID);
  if (c.isSet("quarantine_dir"))
    s.quarantine_file = std::filesystem::path(c.getString("quarantine_dir")) /
                        ("sensor_mqtt-" + h.instanceName() + ".jsonl");
  return s;
}

SensorMqtt::SensorMqtt(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      settings_(Settings::from(config, this->host())),
      link_(this->host(), settings_.link) {
  for (const Mapping& m : settings_.mappings) link_.subscribe(m.filter, settings_.qos);
  link_.onMessage(
      [this](const std::string& topic, const std::string& payload) { enqueue(topic, payload); });
}

SensorMqtt::~SensorMqtt() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  room_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void SensorMqtt::start() {
  stopping_ = false;
  worker_ = std::thread([this] { work(); });
  link_.start();
}

void SensorMqtt::stop(std::chrono::milliseconds deadline) {
  link_.stop(std::clamp(deadline, 200ms, 2000ms));  // no more messages after this
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  room_.notify_all();
  if (worker_.joinable()) worker_.join();  // the worker emits what is queued first
}

void SensorMqtt::enqueue(const std::string& topic, const std::string& payload) {
  const int64_t now = host().nowUnixNs();
  std::unique_lock lock(mu_);
  // A full queue holds Paho's thread, and so the broker: backpressure, not loss.
  room_.wait(lock, [&] { return queue_.size() < settings_.queue_limit || stopping_; });
  if (stopping_) return;
  queue_.push_back({topic, payload, now});
  if (queue_.size() >= settings_.batch) ready_.notify_one();
}

void SensorMqtt::work() {
  std::vector<sdk::Event> events;
  std::deque<Inbound> taken;
  while (true) {
    {
      std::unique_lock lock(mu_);
      ready_.wait_for(lock, settings_.flush,
                      [&] { return stopping_ || queue_.size() >= settings_.batch; });
      taken.swap(queue_);
      room_.notify_all();
      if (stopping_ && taken.empty()) break;
    }
    host().counterAdd("messages_received", static_cast<double>(taken.size()));
    for (const Inbound& m : taken) map(m, events);
    taken.clear();
    const int64_t now_ms = host().nowUnixNs() / 1'000'000;
    for (auto& [sensor, entry] : shelves_)
      shelf(sensor, entry.second.tick(now_ms, *entry.first), now_ms * 1'000'000, events);
    emitAll(events);
  }
}

void SensorMqtt::emitAll(std::vector<sdk::Event>& events) {
  for (size_t from = 0; from < events.size();) {
    const size_t n = std::min(events.size() - from, size_t(1000));
    const sg_status s = host().emitBatch(std::span<const sdk::Event>(events).subspan(from, n));
    if (s == SG_ERR_BACKPRESSURE) {
      std::this_thread::sleep_for(20ms);  // the buffer is full (quota: block); try again
      continue;
    }
    if (s != SG_OK) {
      link_.problem("could not store " + std::to_string(n) + " sensor events (status " +
                    std::to_string(s) + ")");
      if (s == SG_ERR_CLOSED) break;
    }
    from += n;
  }
  events.clear();
}

void SensorMqtt::reject(const Inbound& m, const std::string& reason) {
  host().counterAdd("messages_invalid");
  if (rejected_++ == 0 || rejected_ % 1000 == 0)
    link_.problem("message on '" + m.topic + "' refused: " + reason + " (" +
                  std::to_string(rejected_) + " so far)");
  if (!settings_.quarantine_file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings_.quarantine_file.parent_path(), ec);
    // Bounded on flash: past 8 MiB the file becomes <file>.1 (the one before is dropped).
    if (std::filesystem::file_size(settings_.quarantine_file, ec) >= (8u << 20) && !ec)
      std::filesystem::rename(settings_.quarantine_file, settings_.quarantine_file.string() + ".1",
                              ec);
    std::ofstream out(settings_.quarantine_file, std::ios::app);
    // Payloads are anything a device sent: invalid UTF-8 is replaced, never thrown on.
    out << json{{"time", sdk::detail::rfc3339(m.time_ns)},
                {"topic", m.topic},
                {"payload", m.payload.substr(0, 4096)},
                {"reason", reason}}
               .dump(-1, ' ', false, json::error_handler_t::replace)
        << "\n";
  }
}

void SensorMqtt::map(const Inbound& m, std::vector<sdk::Event>& out) {
  std::vector<std::string> levels;
  const Mapping* mapping = nullptr;
  for (const Mapping& candidate : settings_.mappings) {
    if (topicMatches(candidate.filter, m.topic, &levels)) {
      mapping = &candidate;
      break;
    }
  }
  if (mapping == nullptr) {
    host().counterAdd("messages_unmatched");
    return;
  }
  std::string error;
  const auto value = extractValue(m.payload, mapping->value_path, error);
  if (!value) {
    reject(m, error);
    return;
  }
  const std::string sensor = sensorName(mapping->sensor, levels, m.topic);
  if (mapping->emit_readings) {
    sdk::Event e;
    e.type = "store.sensor.reading";
    e.subject = sensor;
    e.time_unix_ns = m.time_ns;
    json data{{"sensor", sensor}, {"value", *value}, {"topic", m.topic}};
    if (!mapping->unit.empty()) data["unit"] = mapping->unit;
    e.data = data.dump();
    out.push_back(std::move(e));
  }
  alerts(*mapping, sensor, *value, m.time_ns, out);
  if (mapping->kind == Mapping::Kind::kShelf) {
    auto& entry = shelves_.try_emplace(sensor, mapping, ShelfTracker{}).first->second;
    shelf(sensor, entry.second.feed(*value, m.time_ns / 1'000'000, *mapping), m.time_ns, out);
  }
}

void SensorMqtt::alerts(const Mapping& m, const std::string& sensor, double value, int64_t t,
                        std::vector<sdk::Event>& out) {
  if (!m.alert_above && !m.alert_below) return;
  AlertState& st = alert_state_[sensor];
  const auto alert = [&](const char* state, const char* direction, double threshold) {
    sdk::Event e;
    e.type = "store.sensor.alert";
    e.subject = sensor;
    e.time_unix_ns = t;
    e.data = json{
        {"sensor", sensor},
        {"state", state},
        {"direction", direction},
        {"threshold", threshold},
        {"value",
         value}}.dump();
    out.push_back(std::move(e));
    host().counterAdd("alerts");
  };
  if (m.alert_above) {
    if (!st.above && value > *m.alert_above) {
      st.above = true;
      alert("raised", "above", *m.alert_above);
    } else if (st.above && value < *m.alert_above - m.hysteresis) {
      st.above = false;
      alert("cleared", "above", *m.alert_above);
    }
  }
  if (m.alert_below) {
    if (!st.below && value < *m.alert_below) {
      st.below = true;
      alert("raised", "below", *m.alert_below);
    } else if (st.below && value > *m.alert_below + m.hysteresis) {
      st.below = false;
      alert("cleared", "below", *m.alert_below);
    }
  }
}

void SensorMqtt::shelf(const std::string& sensor, const std::optional<ShelfChange>& c, int64_t t,
                       std::vector<sdk::Event>& out) {
  if (!c) return;
  sdk::Event e;
  e.type = c->items < 0 ? "store.shelf.pickup" : "store.shelf.putback";
  e.subject = sensor;
  e.time_unix_ns = t;
  e.data = json{{"sensor", sensor},
                {"items", std::abs(c->items)},
                {"grams", std::abs(c->grams)},
                {"weight", c->weight}}
               .dump();
  out.push_back(std::move(e));
  host().counterAdd(c->items < 0 ? "pickups" : "putbacks");
}

sdk::DeliveryOutcome SensorMqtt::deliver(std::span<const sg_event> events) {
  for (size_t i = 0; i < events.size(); ++i) {
    const sg_event& e = events[i];
    if (sdk::view(e.type) != "store.command" || sdk::view(e.subject) != settings_.esl_command)
      continue;
    const json cmd = json::parse(sdk::view(e.data), nullptr, false);
    const json* label = cmd.is_object() && cmd.contains("label") ? &cmd["label"]
                        : cmd.is_object() && cmd.contains("args") && cmd["args"].is_object() &&
                                cmd["args"].contains("label")
                            ? &cmd["args"]["label"]
                            : nullptr;
    if (label == nullptr || !label->is_string() || label->get_ref<const std::string&>().empty()) {
      host().setError(settings_.esl_command +
                      " command without a string \"label\" (in the "
                      "command or its args): dead-lettered");
      host().counterAdd("esl_rejected");
      return sdk::DeliveryOutcome::reject(i);
    }
    if (!link_.up()) return sdk::DeliveryOutcome::retry(i, settings_.link.min_backoff);
    std::string topic = settings_.esl_topic;
    topic.replace(topic.find("{label}"), 7, label->get<std::string>());
    const json& body = cmd.contains("args") ? cmd["args"] : cmd;
    const std::string payload = body.dump();
    try {
      if (!link_.client().publish(topic, payload.data(), payload.size(), 1, false)->wait_for(5s)) {
        link_.suspect();
        return sdk::DeliveryOutcome::retry(i, settings_.link.min_backoff);
      }
    } catch (const mqtt::exception& ex) {
      link_.problem(std::string("ESL update not published: ") + ex.what());
      return sdk::DeliveryOutcome::retry(i, settings_.link.min_backoff);
    }
    host().counterAdd("esl_updates");
  }
  return sdk::DeliveryOutcome::all(events.size());
}

sg_health_level SensorMqtt::health() {
  if (link_.up()) return SG_HEALTH_OK;
  host().setError(link_.lastProblem());
  return SG_HEALTH_DEGRADED;
}

}  // namespace storegate::plugins::sensor_mqtt
