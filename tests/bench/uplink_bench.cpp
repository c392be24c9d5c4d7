// Drives platform_mqtt and platform_http through the real plugin host from the RocksDB
// buffer, beside bare clients, against a real Mosquitto and a real HTTP server.
#include "uplink_bench.hpp"

#include <httplib.h>
#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <storegate/sdk.hpp>
#include <thread>

#include "plugin_bench.hpp"
#include "support/mosquitto.hpp"

namespace storegate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Pulls the emit time out of a CloudEvent's data {"n":…,"t":<wall ns>}.
int64_t emitTime(std::string_view json, size_t from = 0) {
  const size_t at = json.find("\"t\":", from);
  return at == std::string_view::npos ? 0 : std::strtoll(json.data() + at + 4, nullptr, 10);
}

size_t countEvents(std::string_view payload) {
  size_t n = 0;
  for (size_t at = payload.find("\"specversion\""); at != std::string_view::npos;
       at = payload.find("\"specversion\"", at + 1))
    ++n;
  return n;
}

// Counts events arriving (MQTT or HTTP) and the latency of those that carry an emit time.
class Receiver {
 public:
  void got(std::string_view payload) {
    const int64_t now = wallNs();
    const size_t n = countEvents(payload);
    std::lock_guard lock(mu_);
    if (record_latency_) {
      for (size_t at = payload.find("\"t\":"); at != std::string_view::npos;
           at = payload.find("\"t\":", at + 1))
        latencies_.push_back(double(now - emitTime(payload, at)) / 1e6);
    }
    events_ += n;
  }
  void reset(bool record_latency) {
    std::lock_guard lock(mu_);
    events_ = 0;
    latencies_.clear();
    record_latency_ = record_latency;
  }
  uint64_t events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  bool waitFor(uint64_t n, std::chrono::seconds timeout = 300s) {
    const auto deadline = Clock::now() + timeout;
    while (events() < n && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    return events() >= n;
  }
  std::pair<double, double> p50p99() {
    std::lock_guard lock(mu_);
    if (latencies_.empty()) return {0, 0};
    std::sort(latencies_.begin(), latencies_.end());
    return {latencies_[latencies_.size() / 2], latencies_[latencies_.size() * 99 / 100]};
  }

 private:
  std::mutex mu_;
  uint64_t events_ = 0;
  bool record_latency_ = false;
  std::vector<double> latencies_;
};

struct Rig : PluginBench {
  // A fresh buffer for each scenario.
  explicit Rig(const std::filesystem::path& dir) : PluginBench(fresh(dir)) {}
  static const std::filesystem::path& fresh(const std::filesystem::path& dir) {
    std::filesystem::remove_all(dir);
    return dir;
  }
  sdk::Event event(uint64_t n, int64_t t = 1'790'000'000'000'000'000) const {
    sdk::Event e;
    e.type = "store.sensor.reading";
    e.data = R"({"n":)" + std::to_string(n) + R"(,"t":)" + std::to_string(t) + "}";
    return e;
  }
  void fill(uint64_t count) {
    for (uint64_t i = 0; i < count; i += 1000) {
      std::vector<sdk::Event> events;
      std::vector<sg_event> views;
      for (uint64_t k = i; k < std::min(count, i + 1000); ++k) events.push_back(event(k));
      for (const auto& e : events) views.push_back(e.toView());
      if (!ingest->emit("bench", views).ok()) throw std::runtime_error("fill failed");
    }
  }
  // Emits one event per millisecond for `seconds`, each carrying its wall-clock emit time.
  void steady(int seconds) {
    const auto start = Clock::now();
    for (int i = 0; i < seconds * 1000; ++i) {
      std::this_thread::sleep_until(start + std::chrono::milliseconds(i));
      const sdk::Event e = event(uint64_t(i), wallNs());
      const sg_event v = e.toView();
      if (!ingest->emit("bench", {&v, 1}).ok()) throw std::runtime_error("emit failed");
    }
  }
};

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string sampleCloudEvent() {
  sdk::Event e;
  e.type = "store.sensor.reading";
  e.data = R"({"n":123456,"t":1790000000000000000})";
  e.id = "bench-0000000000000001";
  e.source = "bench";
  e.datacontenttype = "application/json";
  sg_event v = e.toView();
  v.storeid = sdk::str("bench");
  v.sequence = 123456;
  return sdk::toCloudEventJson(v);
}

// ---- MQTT --------------------------------------------------------------------------------------

std::unique_ptr<mqtt::async_client> subscriber(const std::string& url, Receiver& r) {
  mqtt::create_options create(MQTTVERSION_3_1_1);
  auto c = std::make_unique<mqtt::async_client>(url, "bench-sub", create, nullptr);
  c->set_message_callback([&r](mqtt::const_message_ptr m) {
    const auto& p = m->get_payload_ref();
    r.got(std::string_view(p.data(), p.size()));
  });
  mqtt::connect_options opts;
  opts.set_clean_session(true);
  c->connect(opts)->wait();
  c->subscribe("bench/#", 1)->wait();
  return c;
}

double barePublisher(const std::string& url, Receiver& r, uint64_t count, int qos) {
  r.reset(false);
  mqtt::create_options create(MQTTVERSION_3_1_1);
  create.set_max_buffered_messages(65535);
  mqtt::async_client pub(url, "bench-bare", create, nullptr);
  mqtt::connect_options opts;
  opts.set_max_inflight(65535);
  pub.connect(opts)->wait();
  const std::string payload = sampleCloudEvent();
  std::deque<mqtt::delivery_token_ptr> window;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < count; ++i) {
    // The same window the gateway works with: one delivery batch (1,000) in flight.
    if (window.size() >= 1000) {
      window.front()->wait();
      window.pop_front();
    }
    window.push_back(pub.publish("bench/events/store.sensor.reading", payload.data(),
                                 payload.size(), qos, false));
  }
  for (auto& t : window) t->wait();
  const bool ok = r.waitFor(count, 120s);
  const double rate = double(count) / since(start);
  pub.disconnect()->wait();
  return ok ? rate : 0;
}

Status addMqtt(Rig& rig, const std::string& url, int qos, int batch) {
  InstanceSpec s;
  s.name = "cloud";
  s.plugin = "platform_mqtt";
  s.path = "plugins[0]";
  s.config = {{"broker_url", url},
              {"privacy.pseudonymize", false},
              {"qos", qos},
              {"batch.max_events", batch},
              {"topic", "bench/events/{type}"},
              {"status_topic", "status/{storeid}"},
              {"command_topic", "cmd/{storeid}"},
              {"roster_topic", "roster/{storeid}"}};
  s.delivery.max_batch_events = 1000;
  return rig.plugins->add(s);
}

// Paho connects a second client of one process only after its I/O thread's next wakeup
// (up to ~2 s here): wait for the link, so that connecting is not what is measured.
bool connected(Rig& rig) {
  const auto deadline = Clock::now() + 20s;
  while (rig.plugins->get("cloud")->health != "ok" && Clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  return rig.plugins->get("cloud")->health == "ok";
}

// At maximum rate: the producer emits as fast as the buffer takes events while the uplink
// drains them; the clock runs from the first emit to the last event at the subscriber.
double gatewayMqtt(const std::filesystem::path& dir, const std::string& url, Receiver& r,
                   uint64_t count, int qos, int batch, bool& ok) {
  Rig rig(dir);
  if (!addMqtt(rig, url, qos, batch).ok() || !connected(rig)) {
    ok = false;
    return 0;
  }
  r.reset(false);
  const auto start = Clock::now();
  rig.fill(count);
  ok = r.waitFor(count) && ok;
  return double(count) / since(start);
}

// ---- HTTP --------------------------------------------------------------------------------------

struct HttpServer {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  explicit HttpServer(Receiver& r) {
    server.set_keep_alive_max_count(1'000'000);
    server.set_keep_alive_timeout(1);
    server.set_tcp_nodelay(true);
    server.Post("/v1/events", [&r](const httplib::Request& req, httplib::Response& res) {
      r.got(req.body);
      res.status = 200;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~HttpServer() {
    server.stop();
    thread.join();
  }
};

double bareHttp(int port, Receiver& r, uint64_t count) {
  r.reset(false);
  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  const std::string one = sampleCloudEvent();
  std::string body = "[";
  for (int i = 0; i < 500; ++i) body += (i > 0 ? "," : "") + one;
  body += "]";
  const auto start = Clock::now();
  for (uint64_t sent = 0; sent < count; sent += 500) {
    auto res = cli.Post("/v1/events", body, "application/cloudevents-batch+json");
    if (!res || res->status != 200) return 0;
  }
  return double(count) / since(start);
}

Status addHttp(Rig& rig, int port) {
  InstanceSpec s;
  s.name = "cloud";
  s.plugin = "platform_http";
  s.path = "plugins[0]";
  s.config = {{"url", "http://127.0.0.1:" + std::to_string(port) + "/v1/events"},
              {"privacy.pseudonymize", false}};
  s.delivery.max_batch_events = 500;
  return rig.plugins->add(s);
}

}  // namespace

UplinkResult uplinkRun(const std::filesystem::path& dir, uint64_t events, int steady_seconds) {
  UplinkResult out;
  const std::filesystem::path plugins(STOREGATE_BUNDLED_PLUGIN_DIR);
  if (!std::filesystem::exists(plugins / "platform_mqtt.so") ||
      !std::filesystem::exists(plugins / "platform_http.so") ||
      !std::filesystem::exists("/usr/sbin/mosquitto"))
    return out;
  out.ran = true;
  bool ok = true;
  {
    test::MosquittoBroker broker(dir / "broker");
    Receiver r;
    auto sub = subscriber(broker.url(), r);
    out.bare_qos1 = barePublisher(broker.url(), r, events, 1);
    out.gw_qos1 = gatewayMqtt(dir / "mq1", broker.url(), r, events, 1, 1, ok);
    out.bare_qos0 = barePublisher(broker.url(), r, events, 0);
    out.gw_qos0 = gatewayMqtt(dir / "mq0", broker.url(), r, events, 0, 1, ok);
    out.gw_batch100_qos1 = gatewayMqtt(dir / "mqb", broker.url(), r, events * 5, 1, 100, ok);
    {
      Rig rig(dir / "mqs");
      if (!addMqtt(rig, broker.url(), 1, 1).ok() || !connected(rig)) ok = false;
      r.reset(true);
      rig.steady(steady_seconds);
      ok = r.waitFor(uint64_t(steady_seconds) * 1000, 30s) && ok;
      std::tie(out.mqtt_p50_ms, out.mqtt_p99_ms) = r.p50p99();
    }
    sub->disconnect()->wait();
  }
  {
    Receiver r;
    HttpServer server(r);
    out.bare_http = bareHttp(server.port, r, events * 5);
    {
      Rig rig(dir / "http");
      if (!addHttp(rig, server.port).ok()) ok = false;
      r.reset(false);
      const auto start = Clock::now();
      rig.fill(events * 5);
      ok = r.waitFor(events * 5) && ok;
      out.gw_http = double(events * 5) / since(start);
    }
    {
      Rig rig(dir / "https");
      if (!addHttp(rig, server.port).ok()) ok = false;
      r.reset(true);
      rig.steady(steady_seconds);
      ok = r.waitFor(uint64_t(steady_seconds) * 1000, 30s) && ok;
      std::tie(out.http_p50_ms, out.http_p99_ms) = r.p50p99();
    }
  }
  std::filesystem::remove_all(dir);
  out.complete = ok;
  return out;
}

}  // namespace storegate::bench
