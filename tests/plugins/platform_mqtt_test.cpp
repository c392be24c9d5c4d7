// platform_mqtt against a real Mosquitto broker on 127.0.0.1, fed from the real RocksDB
// buffer through the plugin host.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <storegate/sdk.hpp>

#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/pki.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kKey = "brand-key-0123456789abcdef";

std::string pseudonym(const std::string& id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kKey, int(strlen(kKey)), reinterpret_cast<const unsigned char*>(id.data()),
       id.size(), mac, &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < 16; ++i) {
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    hex += b;
  }
  return hex;
}

class PlatformMqttTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::MosquittoBroker> broker_;
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

  Status addUplink(const json& extra = json::object(), const std::string& name = "cloud") {
    InstanceSpec s;
    s.name = name;
    s.plugin = "platform_mqtt";
    s.path = "plugins[0]";
    s.config = {{"broker_url", broker_->url()},     {"privacy.hmac_key", kKey},
                {"reconnect.min_backoff", "100ms"}, {"reconnect.max_backoff", "500ms"},
                {"publish_timeout", "3s"},          {"keepalive", "5s"}};
    for (const auto& [k, v] : extra.items()) s.config[k] = v;
    s.delivery.initial_backoff = 20ms;
    s.delivery.max_backoff = 200ms;
    return manager_->add(s);
  }

  // Through ingest, as a source plugin's emit would: id, store id and time filled in.
  void emit(const std::string& type, const std::string& data) {
    sdk::Event e;
    e.type = type;
    e.data = data;
    const sg_event view = e.toView();
    const Status st = rig_->ingest->emit("till_feed", {&view, 1});
    ASSERT_TRUE(st.ok()) << st.message;
  }

  std::string health() { return manager_->get("cloud")->health; }
  double metric(const std::string& name) { return test::pluginMetric(*manager_, "cloud", name); }
};

}  // namespace

TEST_F(PlatformMqttTest, EventsArriveAsCloudEventsOnTheirTopicWithMemberIdsPseudonymized) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  test::MqttTestClient cloud(broker_->url(), "cloud-sub", "stores/#");
  ASSERT_OK(addUplink());
  emit("store.pos.receipt", R"({"receipt_no":"R1","member_code":"M-1001","total":12.5})");
  emit("store.footfall.count", R"({"in":3,"out":1})");

  ASSERT_TRUE(test::waitUntil([&] {
    size_t events = 0;
    for (const auto& m : cloud.received()) events += m.topic.find("/events/") != std::string::npos;
    return events == 2;
  }));
  std::map<std::string, json> by_topic;
  for (const auto& m : cloud.received()) by_topic[m.topic] = json::parse(m.payload);

  const json receipt = by_topic.at("stores/store-1/events/store.pos.receipt");
  EXPECT_EQ(receipt["specversion"], "1.0");
  EXPECT_EQ(receipt["type"], "store.pos.receipt");
  EXPECT_EQ(receipt["source"], "till_feed");
  EXPECT_EQ(receipt["storeid"], "store-1");
  EXPECT_EQ(receipt["sequence"], 1);
  EXPECT_FALSE(receipt["id"].get<std::string>().empty());
  EXPECT_EQ(receipt["data"]["receipt_no"], "R1");
  EXPECT_EQ(receipt["data"]["total"], 12.5);
  EXPECT_EQ(receipt["data"]["member_code"], pseudonym("M-1001"));
  EXPECT_EQ(by_topic.at("stores/store-1/events/store.footfall.count")["data"]["in"], 3);

  const json status = by_topic.at("stores/store-1/status");
  EXPECT_EQ(status["status"], "online");
  EXPECT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 2; }));
  EXPECT_EQ(health(), "ok");
}

TEST_F(PlatformMqttTest, ABrokerOutageLosesNothingAndKeepsOrder) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker", /*persistence=*/true);
  auto cloud = std::make_unique<test::MqttTestClient>(broker_->url(), "cloud-sub",
                                                      "stores/store-1/events/#", true);
  ASSERT_OK(addUplink());
  const auto reading = [](int n) { return R"({"n":)" + std::to_string(n) + "}"; };
  for (int i = 1; i <= 200; ++i) emit("store.sensor.reading", reading(i));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 200; }));

  broker_->stop();
  for (int i = 201; i <= 500; ++i) emit("store.sensor.reading", reading(i));
  ASSERT_TRUE(test::waitUntil([&] { return health() != "ok"; }, 5s)) << "outage noticed";
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(buffer_->cursor("cloud"), 200u) << "nothing acknowledged while the broker is down";
  broker_->start();

  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 500; }, 20s));
  ASSERT_TRUE(test::waitUntil(
      [&] {
        std::set<int> seen;
        for (const auto& m : cloud->received())
          seen.insert(json::parse(m.payload)["data"]["n"].get<int>());
        return seen.size() == 500;
      },
      20s));
  // Every reading arrived; the first arrival of each is in order (a re-send after the
  // reconnect may repeat some — at least once, never lost).
  std::set<int> seen;
  int last = 0;
  for (const auto& m : cloud->received()) {
    const int n = json::parse(m.payload)["data"]["n"];
    if (seen.insert(n).second) {
      EXPECT_EQ(n, last + 1) << "order";
      last = n;
    }
  }
  EXPECT_EQ(last, 500);
  EXPECT_EQ(health(), "ok");
  EXPECT_GE(metric("connect_failures"), 1);
}

TEST_F(PlatformMqttTest, ASilentlyDeadLinkIsNoticedByTheWatchdogAndNothingIsLost) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  test::MqttTestClient cloud(broker_->url(), "cloud-sub", "stores/store-1/events/#");
  ASSERT_OK(addUplink({{"publish_timeout", "500ms"}, {"connect_timeout", "1s"}}));
  emit("store.sensor.reading", R"({"n":1})");
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 1; }));

  broker_->freeze();  // sockets stay open, nothing answers: no error, no FIN
  emit("store.sensor.reading", R"({"n":2})");
  ASSERT_TRUE(test::waitUntil([&] { return metric("publish_timeouts") >= 1; }, 5s));
  EXPECT_EQ(health(), "degraded");
  EXPECT_EQ(buffer_->cursor("cloud"), 1u) << "an unacknowledged event is not accepted";
  broker_->thaw();

  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 2; }, 20s));
  ASSERT_TRUE(test::waitUntil([&] {
    for (const auto& m : cloud.received())
      if (json::parse(m.payload)["data"]["n"] == 2) return true;
    return false;
  }));
  EXPECT_EQ(health(), "ok");
}

TEST_F(PlatformMqttTest, APersistentSessionKeepsCommandsSentWhileTheStoreWasAway) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  ASSERT_OK(addUplink());
  ASSERT_TRUE(test::waitUntil([&] { return health() == "ok"; }));
  ASSERT_OK(manager_->remove("cloud"));  // the router is off for a while
  {
    test::MqttTestClient cloud(broker_->url(), "cloud-pub", "");
    cloud.publish("stores/store-1/commands", R"({"id":"c-9","name":"config.reload"})");
  }
  ASSERT_OK(addUplink());  // same client id, clean_session false
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->stats().last_sequence == 1; }));
  const auto events = buffer_->readAfter(0, 10, 1 << 20);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "config.reload");
}

TEST_F(PlatformMqttTest, BatchesCarryManyEventsPerMessage) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  test::MqttTestClient cloud(broker_->url(), "cloud-sub", "stores/store-1/events/#");
  for (int i = 1; i <= 250; ++i) emit("store.sensor.reading", R"({"n":)" + std::to_string(i) + "}");
  ASSERT_OK(addUplink({{"batch.max_events", 100}}));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 250; }));
  ASSERT_TRUE(test::waitUntil([&] { return cloud.count() >= 3; }));
  int n = 0;
  for (const auto& m : cloud.received()) {
    const json batch = json::parse(m.payload);
    ASSERT_TRUE(batch.is_array());
    EXPECT_LE(batch.size(), 100u);
    for (const auto& e : batch) EXPECT_EQ(e["data"]["n"], ++n);
  }
  EXPECT_EQ(n, 250);
}

TEST_F(PlatformMqttTest, CommandsAndRosterFromTheCloudBecomeEvents) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  ASSERT_OK(addUplink({{"roster_chunk", 2}}));
  ASSERT_TRUE(test::waitUntil([&] { return health() == "ok"; }));
  test::MqttTestClient cloud(broker_->url(), "cloud-pub", "");
  cloud.publish("stores/store-1/commands",
                R"({"id":"c-7","name":"plugin.restart","target":"tills"})");
  cloud.publish("stores/store-1/commands", "not json");
  cloud.publish(
      "stores/store-1/roster",
      R"({"op":"replace","version":"v1","members":[)"
      R"({"member_code":"M-1","member_id":"u-1","tier":"gold"},)"
      R"({"member_code":"M-2","member_id":"u-2"},{"member_code":"M-3","member_id":"u-3"}]})");
  cloud.publish("stores/store-1/roster", R"({"op":"replace","members":[{"tier":"x"}]})");

  ASSERT_TRUE(test::waitUntil([&] { return buffer_->stats().last_sequence >= 3; }));
  ASSERT_TRUE(test::waitUntil([&] { return metric("roster_rejected") == 1; }));
  const auto events = buffer_->readAfter(0, 100, 1 << 20);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "store.command");
  EXPECT_EQ(events[0].subject, "plugin.restart");
  EXPECT_EQ(events[0].source, "cloud");
  EXPECT_EQ(json::parse(events[0].data)["target"], "tills");
  EXPECT_EQ(events[1].type, "store.roster.update");
  EXPECT_EQ(json::parse(events[1].data)["op"], "replace");
  EXPECT_EQ(json::parse(events[1].data)["members"].size(), 2u);
  EXPECT_EQ(json::parse(events[2].data)["op"], "upsert") << "later chunks add to the first";
  EXPECT_EQ(metric("commands_rejected"), 1);
  EXPECT_NE(manager_->get("cloud")->last_error.find("members[0].member_code"), std::string::npos)
      << manager_->get("cloud")->last_error;
  // Inbound events are not echoed back up.
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 3; }));
  EXPECT_EQ(metric("events_published"), 0);
}

TEST_F(PlatformMqttTest, ExpiredMemberCodesAreHeldBack) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  test::MqttTestClient cloud(broker_->url(), "cloud-sub", "stores/store-1/events/#");
  emit("store.member.scan", R"({"member_code":"DYN-1","expires_at":"2020-01-01T00:00:00Z"})");
  emit("store.member.scan", R"({"member_code":"DYN-2","expires_at":"2099-01-01T00:00:00Z"})");
  ASSERT_OK(addUplink({{"privacy.pseudonymize", false}}));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 2; }));
  ASSERT_TRUE(test::waitUntil([&] { return cloud.count() == 1; }));
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(cloud.count(), 1u);
  EXPECT_EQ(json::parse(cloud.received()[0].payload)["data"]["member_code"], "DYN-2")
      << "in clear: pseudonymization off";
  EXPECT_EQ(metric("events_expired"), 1);
}

TEST_F(PlatformMqttTest, StatusIsRetainedOnlineAndOfflineOnStop) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  ASSERT_OK(addUplink({{"mqtt_version", "5"}}));
  ASSERT_TRUE(test::waitUntil([&] { return health() == "ok"; }));
  {
    test::MqttTestClient late(broker_->url(), "late", "stores/store-1/status");
    ASSERT_TRUE(test::waitUntil([&] { return late.count() == 1; }));
    EXPECT_TRUE(late.received()[0].retained);
    EXPECT_EQ(json::parse(late.received()[0].payload)["status"], "online");
  }
  ASSERT_TRUE(manager_->remove("cloud").ok());
  test::MqttTestClient later(broker_->url(), "later", "stores/store-1/status");
  ASSERT_TRUE(test::waitUntil([&] { return later.count() == 1; }))
      << test::readFile(dir_ / "broker" / "mosquitto.log");
  const json offline = json::parse(later.received()[0].payload);
  EXPECT_EQ(offline["status"], "offline");
  EXPECT_EQ(offline["reason"], "shutdown");
}

TEST_F(PlatformMqttTest, TlsWithATestCaAndClientCertificate) {
  const test::TestPki pki = test::makeTestPki(dir_ / "pki");
  const test::BrokerTls tls{pki.ca_cert, pki.server_cert, pki.server_key, true};
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker", false, &tls);
  ASSERT_OK(addUplink({{"tls.ca_file", pki.ca_cert.string()},
                       {"tls.cert_file", pki.client_cert.string()},
                       {"tls.key_file", pki.client_key.string()}}));
  emit("store.pos.receipt", R"({"receipt_no":"T1"})");
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->cursor("cloud") == 1; }));
  EXPECT_EQ(health(), "ok");
  ASSERT_OK(manager_->remove("cloud"));

  // A broker certificate from a CA the gateway does not trust is refused, and said so.
  ASSERT_OK(addUplink({{"tls.ca_file", pki.other_ca_cert.string()},
                       {"tls.cert_file", pki.client_cert.string()},
                       {"tls.key_file", pki.client_key.string()}}));
  emit("store.pos.receipt", R"({"receipt_no":"T2"})");
  ASSERT_TRUE(test::waitUntil([&] { return metric("connect_failures") >= 1; }));
  EXPECT_EQ(health(), "degraded");
  EXPECT_NE(manager_->get("cloud")->last_error.find("cannot connect to ssl://127.0.0.1"),
            std::string::npos)
      << manager_->get("cloud")->last_error;
  EXPECT_EQ(buffer_->cursor("cloud"), 1u);
}

TEST_F(PlatformMqttTest, PseudonymizationWithoutAKeyIsAConfigError) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  InstanceSpec s;
  s.name = "cloud";
  s.plugin = "platform_mqtt";
  s.path = "plugins[0]";
  s.config = {{"broker_url", broker_->url()}};
  const Status st = manager_->add(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message.find("privacy.hmac_key"), std::string::npos) << st.message;

  s.config = {{"broker_url", broker_->url()},
              {"privacy.pseudonymize", false},
              {"topic", "stores/{store}/x"}};
  s.name = "cloud2";
  const Status bad_topic = manager_->add(s);
  ASSERT_FALSE(bad_topic.ok());
  EXPECT_NE(bad_topic.message.find("unknown placeholder {store}"), std::string::npos)
      << bad_topic.message;
}

}  // namespace storegate
