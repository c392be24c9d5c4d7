// The roster comes down from the cloud over MQTT; scans resolve in the store while the
// uplink is down, and after a restart from the roster kept in plugin state.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>

#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MemberRosterTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::MosquittoBroker> broker_;
  std::unique_ptr<test::PluginRig> rig_;

  void open() { rig_ = test::bundledPluginRig(dir_ / "gw", Durability::Sync); }
  void TearDown() override { rig_.reset(); }

  Status addResolver() {
    InstanceSpec s;
    s.name = "members";
    s.plugin = "member_roster";
    s.path = "plugins[1]";
    s.delivery.match = {"store.member.scan", "store.roster.update"};
    s.delivery.initial_backoff = 20ms;
    return rig_->manager->add(s);
  }
  Status addUplink() {
    InstanceSpec s;
    s.name = "cloud";
    s.plugin = "platform_mqtt";
    s.path = "plugins[0]";
    s.config = {{"broker_url", broker_->url()},
                {"privacy.hmac_key", "brand-key-0123456789abcdef"},
                {"reconnect.min_backoff", "100ms"},
                {"reconnect.max_backoff", "300ms"}};
    s.delivery.initial_backoff = 20ms;
    s.delivery.max_backoff = 200ms;
    return rig_->manager->add(s);
  }

  void scan(const std::string& code, const std::string& expires_at = "") {
    json data{{"member_code", code}, {"symbology", "qr"}};
    if (!expires_at.empty()) data["expires_at"] = expires_at;
    sdk::Event e;
    e.type = "store.member.scan";
    e.subject = "entrance";
    e.data = data.dump();
    const sg_event view = e.toView();
    ASSERT_OK(rig_->ingest->emit("scanner", {&view, 1}));
  }
  std::vector<json> identified() {
    std::vector<json> out;
    for (const auto& e : rig_->buffer->readAfter(0, 10000, 1 << 24))
      if (e.type == "store.member.identified") out.push_back(json::parse(e.data));
    return out;
  }
  double metric(const std::string& name) {
    return test::pluginMetric(*rig_->manager, "members", name);
  }
};

}  // namespace

TEST_F(MemberRosterTest, ScansResolveWhileTheUplinkIsDownAndAfterARestart) {
  broker_ = std::make_unique<test::MosquittoBroker>(dir_ / "broker");
  open();
  ASSERT_OK(addUplink());
  ASSERT_OK(addResolver());
  ASSERT_TRUE(test::waitUntil([&] { return rig_->manager->get("cloud")->health == "ok"; }));
  test::MqttTestClient cloud(broker_->url(), "brand-cloud", "stores/store-1/events/#");
  cloud.publish("stores/store-1/roster",
                R"({"version":"v7","members":[{"member_code":"M-1001","member_id":"u-77",)"
                R"("tier":"gold","tags":["vip"]},{"member_code":"M-1002","member_id":"u-78"}]})");
  ASSERT_TRUE(test::waitUntil([&] { return metric("roster_members") == 2; }));

  broker_->stop();  // the uplink is down from here on
  scan("M-1001");
  scan("NOBODY");
  scan("M-1002", "2020-01-01T00:00:00Z");  // a dynamic code that has expired
  ASSERT_TRUE(test::waitUntil([&] { return identified().size() == 1; }));
  const json who = identified()[0];
  EXPECT_EQ(who["member_id"], "u-77");
  EXPECT_EQ(who["tier"], "gold");
  EXPECT_EQ(who["tags"][0], "vip");
  EXPECT_EQ(who["roster_version"], "v7");
  EXPECT_TRUE(test::waitUntil([&] { return metric("scans_unknown") == 1; }));
  EXPECT_TRUE(test::waitUntil([&] { return metric("scans_expired") == 1; }));
  EXPECT_EQ(rig_->buffer->cursor("cloud") < rig_->buffer->stats().last_sequence, true)
      << "the uplink is still behind";

  // A restart while the uplink is still down: the roster comes back from plugin state.
  rig_.reset();
  open();
  ASSERT_OK(addResolver());
  EXPECT_EQ(metric("roster_members"), 2);
  scan("M-1002");
  ASSERT_TRUE(test::waitUntil([&] { return identified().size() == 2; }));
  EXPECT_EQ(identified()[1]["member_id"], "u-78");

  // The uplink returns: the identified members go up pseudonymized.
  broker_->start();
  test::MqttTestClient back(broker_->url(), "brand-cloud-2", "stores/store-1/events/#");
  ASSERT_OK(addUplink());
  ASSERT_TRUE(test::waitUntil(
      [&] {
        for (const auto& m : back.received())
          if (m.topic == "stores/store-1/events/store.member.identified") return true;
        return false;
      },
      30s))
      << "cursor " << rig_->buffer->cursor("cloud") << " of " << rig_->buffer->stats().last_sequence
      << ", received " << back.count() << ", " << rig_->manager->get("cloud")->last_error << " "
      << rig_->manager->get("cloud")->metrics["events_published"];
  for (const auto& m : back.received()) {
    EXPECT_EQ(m.payload.find("u-77"), std::string::npos) << "member id left in clear";
    EXPECT_EQ(m.payload.find("M-1001"), std::string::npos) << "member code left in clear";
  }
}

TEST_F(MemberRosterTest, ARosterOverTheLimitIsRefusedAndTheOldOneKept) {
  open();
  InstanceSpec s;
  s.name = "members";
  s.plugin = "member_roster";
  s.path = "plugins[0]";
  s.config = {{"max_members", 1}};
  ASSERT_OK(rig_->manager->add(s));
  const auto roster = [&](const std::string& body) {
    sdk::Event e;
    e.type = "store.roster.update";
    e.data = body;
    const sg_event view = e.toView();
    ASSERT_OK(rig_->ingest->emit("cloud", {&view, 1}));
  };
  roster(R"({"members":[{"member_code":"A","member_id":"a"}]})");
  roster(
      R"({"members":[{"member_code":"B","member_id":"b"},{"member_code":"C","member_id":"c"}]})");
  ASSERT_TRUE(test::waitUntil([&] { return metric("roster_rejected") == 1; }));
  scan("A");
  ASSERT_TRUE(test::waitUntil([&] { return identified().size() == 1; }));
  EXPECT_EQ(identified()[0]["member_id"], "a");
}

}  // namespace storegate
