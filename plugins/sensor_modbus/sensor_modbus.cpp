#include "sensor_modbus.hpp"

#include <modbus.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace storegate::plugins::sensor_modbus {

namespace {
using nlohmann::json;

const char* typeName(RegisterSpec::Type t) {
  switch (t) {
    case RegisterSpec::Type::kInput:
      return "input";
    case RegisterSpec::Type::kCoil:
      return "coil";
    case RegisterSpec::Type::kDiscrete:
      return "discrete";
    case RegisterSpec::Type::kHolding:
      break;
  }
  return "holding";
}
}  // namespace

// One device: its context, its thread, its online/offline state.
class DevicePoller {
 public:
  DevicePoller(const sdk::Host& host, DeviceSpec spec)
      : host_(host), spec_(std::move(spec)), poller_(host, spec_.interval) {}
  ~DevicePoller() {
    poller_.stop();
    close();
  }

  void start() {
    poller_.start([this] {
      poll();
      return false;
    });
  }
  void stop() {
    poller_.stop();
    close();
  }
  [[nodiscard]] sg_health_level health() const { return poller_.health(); }

 private:
  std::string where() const {
    return "device " + spec_.name + " (" + spec_.host + ":" + std::to_string(spec_.port) + ")";
  }

  void close() {
    if (ctx_ != nullptr) {
      modbus_close(ctx_);
      modbus_free(ctx_);
      ctx_ = nullptr;
    }
  }

  [[noreturn]] void fail(const std::string& what) {
    const std::string reason = what + ": " + modbus_strerror(errno);
    close();
    host_.counterAdd("poll_failures");
    if (state_ != State::kOffline) {
      state_ = State::kOffline;
      alert("raised", reason);
    }
    throw sdk::Error(where() + ": " + reason);
  }

  void alert(const char* state, const std::string& reason) {
    sdk::Event e;
    e.type = "store.sensor.alert";
    e.subject = spec_.name;
    json data{{"sensor", spec_.name}, {"state", state}, {"direction", "offline"}};
    if (!reason.empty()) data["reason"] = reason;
    e.data = data.dump();
    sdk::ignore(host_.emit(e),
                "a refused alert is still counted in poll_failures and the failure is logged");
  }

  void connect() {
    ctx_ = modbus_new_tcp(spec_.host.c_str(), spec_.port);
    if (ctx_ == nullptr) throw sdk::Error(where() + ": cannot create a Modbus context");
    modbus_set_slave(ctx_, spec_.unit_id);
    const auto ms = spec_.timeout.count();
    modbus_set_response_timeout(ctx_, static_cast<uint32_t>(ms / 1000),
                                static_cast<uint32_t>(ms % 1000 * 1000));
    if (modbus_connect(ctx_) != 0) fail("connect failed");
  }

  void poll() {
    if (ctx_ == nullptr) connect();
    std::vector<sdk::Event> readings;
    readings.reserve(spec_.registers.size());
    for (const RegisterSpec& r : spec_.registers) {
      uint16_t words[2] = {0, 0};
      int n = -1;
      switch (r.type) {
        case RegisterSpec::Type::kHolding:
          n = modbus_read_registers(ctx_, r.address, r.width(), words);
          break;
        case RegisterSpec::Type::kInput:
          n = modbus_read_input_registers(ctx_, r.address, r.width(), words);
          break;
        case RegisterSpec::Type::kCoil:
        case RegisterSpec::Type::kDiscrete: {
          uint8_t bit = 0;
          n = r.type == RegisterSpec::Type::kCoil
                  ? modbus_read_bits(ctx_, r.address, 1, &bit)
                  : modbus_read_input_bits(ctx_, r.address, 1, &bit);
          words[0] = bit;
          break;
        }
      }
      if (n < 0) {
        fail(std::string("read ") + typeName(r.type) + " " + std::to_string(r.address) + " (" +
             r.name + ") failed");
      }
      sdk::Event e;
      e.type = "store.sensor.reading";
      e.subject = spec_.name + "." + r.name;
      json data{{"sensor", spec_.name + "." + r.name},
                {"device", spec_.name},
                {"register", r.name},
                {"address", r.address},
                {"value", r.decode(words)}};
      if (!r.unit.empty()) data["unit"] = r.unit;
      e.data = data.dump();
      readings.push_back(std::move(e));
    }
    if (state_ == State::kOffline) alert("cleared", "");
    state_ = State::kOnline;
    const sg_status s = host_.emitBatch(readings);
    if (s != SG_OK)
      throw sdk::Error(where() + ": readings not stored (status " + std::to_string(s) + ")");
    host_.counterAdd("readings", static_cast<double>(readings.size()));
  }

  const sdk::Host host_;
  const DeviceSpec spec_;
  Poller poller_;
  enum class State { kUnknown, kOnline, kOffline };
  modbus_t* ctx_ = nullptr;  // the poller's thread only, as is state_
  State state_ = State::kUnknown;
};

SensorModbus::SensorModbus(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)) {
  for (DeviceSpec& d : parseDevices(config.getJson("devices")))
    devices_.push_back(std::make_unique<DevicePoller>(this->host(), std::move(d)));
}

SensorModbus::~SensorModbus() = default;

void SensorModbus::start() {
  for (auto& d : devices_) d->start();
}

void SensorModbus::stop(std::chrono::milliseconds) {
  for (auto& d : devices_) d->stop();
}

sg_health_level SensorModbus::health() {
  sg_health_level worst = SG_HEALTH_OK;
  for (auto& d : devices_) worst = std::max(worst, d->health());
  return worst;
}

}  // namespace storegate::plugins::sensor_modbus
