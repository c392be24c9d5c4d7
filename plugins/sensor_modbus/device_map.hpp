// sensor_modbus's register map: which Modbus TCP devices to poll, which registers, and how
// raw 16-bit words become a value with a unit.
//
//   devices:
//     - name: door-counter
//       host: 192.168.10.20
//       port: 502
//       unit_id: 1
//       interval: 1s
//       timeout: 500ms
//       registers:
//         - {name: people_in, address: 0, type: input, format: u32}
//         - {name: temperature, address: 10, type: holding, format: s16, scale: 0.1, unit: "°C"}
//         - {name: door_open, address: 0, type: coil}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storegate::plugins::sensor_modbus {

struct RegisterSpec {
  enum class Type { kHolding, kInput, kCoil, kDiscrete };
  enum class Format { kU16, kS16, kU32, kS32, kF32 };
  std::string name;
  int address = 0;
  Type type = Type::kHolding;
  Format format = Format::kU16;
  bool word_swap = false;  // 32-bit values: low word first
  double scale = 1;
  double offset = 0;
  std::string unit;

  // 16-bit registers this value spans (bits: 1).
  [[nodiscard]] int width() const {
    return format == Format::kU32 || format == Format::kS32 || format == Format::kF32 ? 2 : 1;
  }
  // scale × raw + offset, from `width()` registers (or one bit).
  [[nodiscard]] double decode(const uint16_t* words) const;
};

struct DeviceSpec {
  std::string name;
  std::string host;
  int port = 502;
  int unit_id = 1;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
  std::vector<RegisterSpec> registers;
};

// Parses the `devices` property (JSON text). Throws sdk::Error (SG_ERR_INVALID) naming the
// place, e.g. "devices[0].registers[2].format: 'u64' is not one of u16, s16, u32, s32, f32".
[[nodiscard]] std::vector<DeviceSpec> parseDevices(std::string_view json);

}  // namespace storegate::plugins::sensor_modbus
