// sensor_modbus against real Modbus TCP servers (libmodbus) on 127.0.0.1, including one
// that stops answering, into the real RocksDB buffer.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>

#include "device_map.hpp"
#include "support/modbus_server.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class SensorModbusTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::PluginRig> rig_;

  void SetUp() override { rig_ = test::bundledPluginRig(dir_ / "gw"); }
  void TearDown() override { rig_.reset(); }

  static json device(const std::string& name, int port) {
    return {{"name", name},
            {"host", "127.0.0.1"},
            {"port", port},
            {"interval", "50ms"},
            {"timeout", "200ms"},
            {"registers", json::parse(R"([
               {"name": "temperature", "address": 10, "format": "s16", "scale": 0.1, "unit": "°C"},
               {"name": "people_in", "address": 0, "type": "input", "format": "u32"},
               {"name": "load", "address": 4, "type": "input", "format": "f32", "unit": "kg"},
               {"name": "door_open", "address": 0, "type": "coil"}])")}};
  }
  Status add(const json& devices) {
    InstanceSpec s;
    s.name = "modbus";
    s.plugin = "sensor_modbus";
    s.path = "plugins[0]";
    s.config = {{"devices", devices}};
    return rig_->manager->add(s);
  }
  std::vector<json> events(const std::string& type, const std::string& subject_prefix = "") {
    std::vector<json> out;
    for (const auto& e : rig_->buffer->readAfter(0, 1'000'000, 1 << 28))
      if (e.type == type && e.subject.rfind(subject_prefix, 0) == 0)
        out.push_back(json::parse(e.data));
    return out;
  }
  static void setFloat(test::ModbusTestServer& s, int address, float f) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    s.setInput(address, uint16_t(bits >> 16));
    s.setInput(address + 1, uint16_t(bits & 0xFFFF));
  }
};

}  // namespace

TEST_F(SensorModbusTest, RegistersAreReadDecodedAndScaled) {
  test::ModbusTestServer server;
  server.setHolding(10, uint16_t(-215));  // -21.5 °C at scale 0.1
  server.setInput(0, 0x0001);
  server.setInput(1, 0x0002);  // u32 65538
  setFloat(server, 4, 12.25F);
  server.setCoil(0, true);
  ASSERT_OK(add(json::array({device("fridge", server.port())})));
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.reading").size() >= 8; }));
  std::map<std::string, json> last;
  for (const auto& e : events("store.sensor.reading")) last[e["register"]] = e;
  EXPECT_DOUBLE_EQ(last["temperature"]["value"].get<double>(), -21.5);
  EXPECT_EQ(last["temperature"]["unit"], "°C");
  EXPECT_EQ(last["temperature"]["sensor"], "fridge.temperature");
  EXPECT_EQ(last["people_in"]["value"], 65538);
  EXPECT_DOUBLE_EQ(last["load"]["value"].get<double>(), 12.25);
  EXPECT_EQ(last["door_open"]["value"], 1);
  EXPECT_EQ(rig_->manager->get("modbus")->health, "ok");
}

TEST_F(SensorModbusTest, ADeviceThatStopsAnsweringRaisesAnAlertAndOnlyItsOwnReadingsStop) {
  test::ModbusTestServer hung, fine;
  ASSERT_OK(add(json::array({device("counter", hung.port()), device("fridge", fine.port())})));
  ASSERT_TRUE(
      test::waitUntil([&] { return events("store.sensor.reading", "counter.").size() >= 4; }));

  hung.setSilent(true);
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.alert").size() == 1; }));
  const json raised = events("store.sensor.alert")[0];
  EXPECT_EQ(raised["sensor"], "counter");
  EXPECT_EQ(raised["state"], "raised");
  EXPECT_EQ(raised["direction"], "offline");
  EXPECT_NE(raised["reason"].get<std::string>().find("timed out"), std::string::npos) << raised;
  // The alert is emitted as the poll fails; the health follows when the poll returns.
  EXPECT_TRUE(test::waitUntil([&] { return rig_->manager->get("modbus")->health == "degraded"; }));
  const auto report = rig_->manager->get("modbus");
  EXPECT_NE(report->last_error.find("device counter (127.0.0.1:"), std::string::npos)
      << report->last_error;

  // The other device, on its own thread, goes on.
  const size_t fridge_before = events("store.sensor.reading", "fridge.").size();
  ASSERT_TRUE(test::waitUntil(
      [&] { return events("store.sensor.reading", "fridge.").size() >= fridge_before + 8; }));

  hung.setSilent(false);
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.alert").size() == 2; }, 15s));
  EXPECT_EQ(events("store.sensor.alert")[1]["state"], "cleared");
  const size_t counter_after = events("store.sensor.reading", "counter.").size();
  ASSERT_TRUE(test::waitUntil(
      [&] { return events("store.sensor.reading", "counter.").size() > counter_after; }));
  EXPECT_TRUE(test::waitUntil([&] { return rig_->manager->get("modbus")->health == "ok"; }));
}

TEST_F(SensorModbusTest, AnUnreachableDeviceIsReportedOnce) {
  const int closed = test::freeLoopbackPort();
  ASSERT_OK(add(json::array({device("shelf", closed)})));
  ASSERT_TRUE(test::waitUntil([&] { return events("store.sensor.alert").size() == 1; }));
  std::this_thread::sleep_for(300ms);  // several more failed polls
  EXPECT_EQ(events("store.sensor.alert").size(), 1u) << "raised once, not per poll";
  EXPECT_NE(events("store.sensor.alert")[0]["reason"].get<std::string>().find("connect failed"),
            std::string::npos);
  EXPECT_GE(rig_->manager->get("modbus")->metrics["poll_failures"], 3);
}

TEST(ModbusDeviceMap, ErrorsNameTheDeviceRegisterAndField) {
  using plugins::sensor_modbus::parseDevices;
  const auto error = [](const std::string& text) {
    try {
      (void)parseDevices(text);
    } catch (const sdk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(
      error(R"([{"name":"a","host":"h","registers":[{"name":"x","address":1,"format":"u64"}]}])"),
      "devices[0].registers[0].format: 'u64' is not one of u16, s16, u32, s32, f32");
  EXPECT_EQ(
      error(R"([{"name":"a","host":"h","port":70000,"registers":[{"name":"x","address":1}]}])"),
      "devices[0].port: must be an integer in 1..65535");
  EXPECT_EQ(error(R"([{"name":"a","host":"h","registers":[]}])"),
            "devices[0].registers: required, a list of at least one register");
  EXPECT_EQ(error(R"([{"name":"a","host":"h","registers":[{"name":"x","address":1}]},
                      {"name":"a","host":"h","registers":[{"name":"x","address":1}]}])"),
            "devices[1].name: 'a' is used twice");
  EXPECT_EQ(
      error(
          R"([{"name":"a","host":"h","interval":"often","registers":[{"name":"x","address":1}]}])"),
      "devices[0].interval: must be a duration such as \"500ms\", \"2s\" or \"1m\"");
}

TEST(ModbusDeviceMap, WordOrderAndSignedFormats) {
  using plugins::sensor_modbus::RegisterSpec;
  RegisterSpec r;
  r.format = RegisterSpec::Format::kS32;
  const uint16_t big[2] = {0xFFFF, 0xFFFE};
  EXPECT_EQ(r.decode(big), -2);
  r.word_swap = true;
  const uint16_t little[2] = {0xFFFE, 0xFFFF};
  EXPECT_EQ(r.decode(little), -2);
}

}  // namespace storegate
