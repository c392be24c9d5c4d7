// sensor_mqtt's throughput: messages/s from a local publisher through the broker and the
// plugin into the synced buffer, beside a bare Paho subscriber on the same broker, same
// messages, same run (the ceiling: what the broker delivers).
#pragma once

#include <cstdint>
#include <filesystem>

namespace storegate::bench {

struct SensorResult {
  double bare_mps = 0;    // messages/s a bare subscriber receives
  double plugin_mps = 0;  // messages/s that become readings in the buffer
  bool complete = false;
  bool ran = false;
};

SensorResult sensorRun(const std::filesystem::path& dir, uint64_t messages);

}  // namespace storegate::bench
