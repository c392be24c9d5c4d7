// platform_http against a real HTTP server in the test (cpp-httplib) that injects faults:
// refused connections, 500s, 429 with Retry-After, answers slower than the timeout, 400s.
// Every event must end either delivered or dead-lettered.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/hmac.h>

#include <atomic>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <storegate/sdk.hpp>
#include <thread>

#include "support/pki.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The brand's API: records every batch it accepts; `fault` may answer instead.
class FakeApi {
 public:
  using Fault = std::function<bool(const httplib::Request&, httplib::Response&)>;

  explicit FakeApi(int port, std::unique_ptr<httplib::Server> server = nullptr)
      : port_(port), server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(1);  // stop() waits out idle keep-alive connections
    server_->Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
      posts_++;
      {
        std::lock_guard lock(mu_);
        if (fault_ && fault_(req, res)) return;
        last_headers_ = req.headers;
        last_body_ = req.body;
        const json batch = json::parse(req.body);
        for (const auto& e : batch) accepted_.push_back(e);
      }
      res.status = 200;
    });
    server_->Get("/v1/roster", [this](const httplib::Request& req, httplib::Response& res) {
      roster_gets_++;
      if (req.get_header_value("If-None-Match") == "\"r1\"") {
        res.status = 304;
        return;
      }
      res.set_header("ETag", "\"r1\"");
      res.set_content(R"({"version":"r1","members":[{"member_code":"M-1","member_id":"u-1"}]})",
                      "application/json");
    });
    server_->Get("/v1/coupons", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("If-None-Match") == "\"c1\"") {
        res.status = 304;
        return;
      }
      res.set_header("ETag", "\"c1\"");
      res.set_content(R"({"coupons":[{"code":"SAVE5","value":5}]})", "application/json");
    });
    thread_ = std::thread([this] { server_->listen("127.0.0.1", port_); });
    test::waitUntil([&] { return server_->is_running(); }, 5s);
  }
  ~FakeApi() {
    server_->stop();
    thread_.join();
  }

  void setFault(Fault f) {
    std::lock_guard lock(mu_);
    fault_ = std::move(f);
  }
  std::vector<json> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  httplib::Headers lastHeaders() {
    std::lock_guard lock(mu_);
    return last_headers_;
  }
  std::string lastBody() {
    std::lock_guard lock(mu_);
    return last_body_;
  }
  std::atomic<int> posts_{0};
  std::atomic<int> roster_gets_{0};

 private:
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::mutex mu_;
  Fault fault_;
  std::vector<json> accepted_;
  httplib::Headers last_headers_;
  std::string last_body_;
  std::thread thread_;
};

class PlatformHttpTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  int port_ = test::freeLoopbackPort();
  std::unique_ptr<test::PluginRig> rig_;
  RocksBuffer* buffer_ = nullptr;     // rig_'s
  PluginManager* manager_ = nullptr;  // rig_'s

  void SetUp() override {
    rig_ = test::bundledPluginRig(dir_ / "gw");
    buffer_ = rig_->buffer.get();
    manager_ = rig_->manager.get();
    // A sink that never acknowledges: what the uplink passed stays for the test to read.
    buffer_->registerSink("test_reader");
  }
  void TearDown() override { rig_.reset(); }

  Status addUplink(const json& extra = json::object(), size_t batch = 50) {
    InstanceSpec s;
    s.name = "cloud";
    s.plugin = "platform_http";
    s.path = "plugins[0]";
    s.config = {{"url", "http://127.0.0.1:" + std::to_string(port_) + "/v1/events"},
                {"timeout", "500ms"},
                {"connect_timeout", "300ms"},
                {"auth.bearer_token", "api-token-123"},
                {"privacy.pseudonymize", false}};
    for (const auto& [k, v] : extra.items()) s.config[k] = v;
    s.delivery.max_batch_events = batch;
    s.delivery.initial_backoff = 20ms;
    s.delivery.max_backoff = 100ms;
    return manager_->add(s);
  }

  void emit(int n, const std::string& extra = "") {
    sdk::Event e;
    e.type = "store.sensor.reading";
    e.data = R"({"n":)" + std::to_string(n) + extra + "}";
    const sg_event view = e.toView();
    ASSERT_OK(rig_->ingest->emit("door", {&view, 1}));
  }
  double metric(const std::string& name) { return test::pluginMetric(*manager_, "cloud", name); }
  static std::set<int> numbers(const std::vector<json>& events) {
    std::set<int> out;
    for (const auto& e : events) out.insert(e["data"]["n"].get<int>());
    return out;
  }
};

}  // namespace

TEST_F(PlatformHttpTest, BatchesArriveSignedAsCloudEventsBatches) {
  FakeApi api(port_);
  for (int i = 1; i <= 120; ++i) emit(i);
  ASSERT_OK(addUplink({{"auth.hmac_key", "sign-key-0123456789"}, {"gzip", true}}));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 120; }));
  const auto got = api.accepted();
  ASSERT_EQ(got.size(), 120u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]["data"]["n"], int(i) + 1) << "order";
  EXPECT_EQ(got[0]["specversion"], "1.0");
  EXPECT_EQ(got[0]["source"], "door");
  EXPECT_LE(api.posts_.load(), 4) << "batched, not one POST per event";

  const auto h = api.lastHeaders();
  EXPECT_EQ(h.find("Content-Type")->second, "application/cloudevents-batch+json");
  EXPECT_EQ(h.find("Authorization")->second, "Bearer api-token-123");
  EXPECT_EQ(h.find("Content-Encoding")->second, "gzip");
  ASSERT_NE(h.find("X-Storegate-Timestamp"), h.end());
  // The API can check the signature over "<timestamp>.<body>" (body as decompressed).
  const std::string signed_text = h.find("X-Storegate-Timestamp")->second + "." + api.lastBody();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string key = "sign-key-0123456789";
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    hex += b;
  }
  EXPECT_EQ(h.find("X-Storegate-Signature")->second, "sha256=" + hex);
}

TEST_F(PlatformHttpTest, RefusedConnectionsAnd500sAreRetriedUntilDelivered) {
  for (int i = 1; i <= 30; ++i) emit(i);
  ASSERT_OK(addUplink({}, 10));
  // Nothing listens yet: connection refused.
  ASSERT_TRUE(test::waitUntil([&] { return metric("network_errors") >= 2; }));
  EXPECT_EQ(buffer_->cursor("cloud"), 0u);
  EXPECT_EQ(manager_->get("cloud")->health, "degraded");

  FakeApi api(port_);
  std::atomic<int> failures{0};
  api.setFault([&](const httplib::Request&, httplib::Response& res) {
    if (failures >= 3) return false;
    failures++;
    res.status = 503;
    res.set_content("maintenance", "text/plain");
    return true;
  });
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 30; }));
  EXPECT_EQ(numbers(api.accepted()).size(), 30u);
  EXPECT_GE(metric("posts_retried"), 3);
  EXPECT_EQ(manager_->get("cloud")->health, "ok");
}

TEST_F(PlatformHttpTest, TooManyRequestsWaitsForRetryAfter) {
  FakeApi api(port_);
  std::atomic<int> calls{0};
  std::chrono::steady_clock::time_point first, second;
  api.setFault([&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      first = std::chrono::steady_clock::now();
      res.status = 429;
      res.set_header("Retry-After", "1");
      return true;
    }
    if (calls == 2) second = std::chrono::steady_clock::now();
    return false;
  });
  emit(1);
  ASSERT_OK(addUplink());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 1; }));
  EXPECT_GE(second - first, 950ms) << "the host's own backoff is 20 ms; the server asked 1 s";
}

TEST_F(PlatformHttpTest, SlowAnswersPastTheTimeoutAreRetried) {
  FakeApi api(port_);
  std::atomic<int> slow{0};
  api.setFault([&](const httplib::Request&, httplib::Response&) {
    if (slow++ < 2) std::this_thread::sleep_for(900ms);  // past the 500 ms timeout
    return false;
  });
  emit(1);
  ASSERT_OK(addUplink());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 1; }, 15s));
  EXPECT_GE(metric("network_errors"), 1);
  // A timed-out POST may still have reached the API: at least once, never lost.
  EXPECT_GE(api.accepted().size(), 1u);
}

TEST_F(PlatformHttpTest, RefusedEventsAreDeadLetteredAndCountedTheRestDelivered) {
  FakeApi api(port_);
  api.setFault([&](const httplib::Request& req, httplib::Response& res) {
    if (req.body.find("\"bad\":true") == std::string::npos) return false;
    res.status = 400;
    res.set_content(R"({"error":"schema","detail":"bad reading"})", "application/json");
    return true;
  });
  for (int i = 1; i <= 40; ++i) emit(i, i % 10 == 0 ? R"(,"bad":true)" : "");
  ASSERT_OK(addUplink({}, 25));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 40; }));

  const std::set<int> delivered = numbers(api.accepted());
  EXPECT_EQ(delivered.size(), 36u);
  for (int bad : {10, 20, 30, 40}) EXPECT_EQ(delivered.count(bad), 0u) << bad;
  const auto r = manager_->get("cloud");
  EXPECT_EQ(r->dead_lettered, 4u);
  EXPECT_EQ(metric("events_rejected"), 4);
  EXPECT_EQ(buffer_->stats().dead_letters, 4u);
  // Every event ended delivered or dead-lettered.
  EXPECT_EQ(delivered.size() + r->dead_lettered, 40u);
  EXPECT_NE(r->last_error.find("HTTP 400"), std::string::npos) << r->last_error;
}

TEST_F(PlatformHttpTest, WrongCredentialsAreRetriedNotDeadLettered) {
  FakeApi api(port_);
  api.setFault([&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer api-token-123") return false;
    res.status = 401;
    return true;
  });
  emit(1);
  ASSERT_OK(addUplink({{"auth.bearer_token", "stale-token"}}));
  ASSERT_TRUE(test::waitUntil([&] { return metric("posts_retried") >= 2; }));
  const auto r = manager_->get("cloud");
  EXPECT_EQ(r->dead_lettered, 0u);
  EXPECT_EQ(buffer_->cursor("cloud"), 0u);
  EXPECT_NE(r->last_error.find("check auth.bearer_token"), std::string::npos) << r->last_error;
}

TEST_F(PlatformHttpTest, RosterAndCouponsArePulledOnceUntilTheyChange) {
  FakeApi api(port_);
  const std::string base = "http://127.0.0.1:" + std::to_string(port_);
  ASSERT_OK(addUplink({{"roster_url", base + "/v1/roster"},
                       {"coupons_url", base + "/v1/coupons"},
                       {"pull_interval", "100ms"}}));
  ASSERT_TRUE(test::waitUntil([&] { return api.roster_gets_ >= 4; }));
  EXPECT_GE(metric("roster_unchanged"), 2) << "answered 304 to If-None-Match";
  EXPECT_EQ(metric("roster_updates"), 1);
  EXPECT_EQ(metric("coupons_updates"), 1);
  EXPECT_GE(metric("coupons_unchanged"), 1);
  const auto events = buffer_->readAfter(0, 10, 1 << 20);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "store.roster.update");
  EXPECT_EQ(json::parse(events[0].data)["members"][0]["member_id"], "u-1");
  EXPECT_EQ(events[1].type, "store.coupons.update");
  EXPECT_EQ(json::parse(events[1].data)["coupons"][0]["code"], "SAVE5");
  const auto kept = rig_->buffer->get("cloud", "coupons");
  ASSERT_TRUE(kept) << "coupons kept in plugin state";
  EXPECT_EQ(json::parse(*kept)["coupons"][0]["value"], 5);
  // Neither is posted back up.
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 2; }));
  EXPECT_EQ(api.posts_.load(), 0);
}

TEST_F(PlatformHttpTest, HttpsWithATestCa) {
  const test::TestPki pki = test::makeTestPki(dir_ / "pki");
  FakeApi api(
      port_, std::make_unique<httplib::SSLServer>(pki.server_cert.c_str(), pki.server_key.c_str()));
  emit(1);
  ASSERT_OK(addUplink({{"url", "https://127.0.0.1:" + std::to_string(port_) + "/v1/events"},
                       {"tls.ca_file", pki.ca_cert.string()}}));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 1; }));
  EXPECT_EQ(api.accepted().size(), 1u);
}

TEST_F(PlatformHttpTest, AnUntrustedCertificateIsRefused) {
  const test::TestPki pki = test::makeTestPki(dir_ / "pki");
  FakeApi api(
      port_, std::make_unique<httplib::SSLServer>(pki.server_cert.c_str(), pki.server_key.c_str()));
  emit(1);
  ASSERT_OK(addUplink({{"url", "https://127.0.0.1:" + std::to_string(port_) + "/v1/events"},
                       {"tls.ca_file", pki.other_ca_cert.string()}}));
  ASSERT_TRUE(test::waitUntil([&] { return metric("network_errors") >= 1; }));
  EXPECT_EQ(api.accepted().size(), 0u);
  EXPECT_EQ(buffer_->cursor("cloud"), 0u);
  EXPECT_NE(manager_->get("cloud")->last_error.find("SSL"), std::string::npos)
      << manager_->get("cloud")->last_error;
}

}  // namespace storegate
