// sensor_modbus: polls Modbus TCP devices (door counters, shelf controllers, fridges) by
// the register map in its config, with libmodbus.
//
// One polling thread per device, each with its own libmodbus context (they are not
// thread-safe), its own response timeout and its own reconnects: a device that stops
// answering costs only its own thread a timeout. Every poll emits one
// store.sensor.reading per register, scaled, as one batch. A device going silent raises a
// store.sensor.alert (direction "offline") once, and clears it when it answers again;
// health is degraded meanwhile, with the device and the error as the last error.
#pragma once

#include <memory>
#include <storegate/sdk.hpp>
#include <vector>

#include "device_map.hpp"
#include "poller.hpp"  // plugins/common

namespace storegate::plugins::sensor_modbus {

class DevicePoller;

class SensorModbus final : public sdk::Plugin {
 public:
  SensorModbus(sdk::Host host, const sdk::Config& config);
  ~SensorModbus() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;

 private:
  std::vector<std::unique_ptr<DevicePoller>> devices_;
};

}  // namespace storegate::plugins::sensor_modbus
