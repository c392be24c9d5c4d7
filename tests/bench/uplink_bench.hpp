// The cloud uplinks end to end: events/s and latency from the buffer to a subscriber on a
// local Mosquitto (platform_mqtt) and to a local HTTP server (platform_http), each beside
// a bare client (Paho publisher, cpp-httplib POSTs) measured in the same run with the same
// message size and QoS — the ceiling the plugin is compared with.
#pragma once

#include <cstdint>
#include <filesystem>

namespace storegate::bench {

struct UplinkResult {
  double bare_qos1 = 0;  // messages/s, bare Paho publisher, 1 event per message
  double bare_qos0 = 0;
  double gw_qos1 = 0;  // events/s, buffer → platform_mqtt → subscriber, 1 per message
  double gw_qos0 = 0;
  double gw_batch100_qos1 = 0;  // events/s, 100 events per message
  double mqtt_p50_ms = 0;       // emit → subscriber at a steady 1,000 events/s
  double mqtt_p99_ms = 0;
  double bare_http = 0;    // events/s, bare client POSTing 500-event batches
  double gw_http = 0;      // events/s, buffer → platform_http, 500-event batches
  double http_p50_ms = 0;  // emit → server at a steady 1,000 events/s
  double http_p99_ms = 0;
  bool complete = false;
  bool ran = false;  // false when the plugins or mosquitto are missing
};

UplinkResult uplinkRun(const std::filesystem::path& dir, uint64_t events, int steady_seconds);

}  // namespace storegate::bench
