#include "admin/status_view.hpp"

#include <sys/statvfs.h>

#include "admin/gateway.hpp"
#include "common/time.hpp"
#include "common/version.hpp"
#include "control/control_plane.hpp"

namespace storegate::admin {

namespace {
using nlohmann::json;

bool isSink(const InstanceReport& r) {
  return r.kinds.find("sink") != std::string::npos;
}
// The uplink: the platform sinks (platform_mqtt, platform_http) that carry the store's data
// to the cloud.
bool isUplink(const InstanceReport& r) {
  return isSink(r) && r.plugin.rfind("platform_", 0) == 0;
}

struct SinkView {
  std::string name;
  uint64_t lag = 0;
  std::optional<int64_t> oldest_age_s;
  int64_t last_delivery_ns = 0;
};

SinkView sinkView(Gateway& d, const InstanceReport& r, const BufferStats& b, int64_t now) {
  SinkView v;
  v.name = r.name;
  const uint64_t cursor = d.buffer().cursor(r.name);
  v.lag = b.last_sequence > cursor ? b.last_sequence - cursor : 0;
  if (v.lag > 0) {
    const auto next = d.buffer().readAfter(cursor, 1, 1 << 20);
    if (!next.empty())
      v.oldest_age_s = std::max<int64_t>(0, (now - next[0].time_unix_ns) / 1'000'000'000);
  }
  v.last_delivery_ns = r.last_delivery_unix_ns;
  return v;
}

void judge(const InstanceReport& r, const SinkView* sink, std::chrono::milliseconds max_age,
           HealthVerdict& v) {
  if (r.state == "failed") {
    v.degraded = true;
    v.reasons.push_back("instance " + r.name + " is failed: " + r.last_error);
  }
  if (sink != nullptr && max_age.count() > 0 && sink->oldest_age_s &&
      *sink->oldest_age_s * 1000 > max_age.count()) {
    v.degraded = true;
    v.reasons.push_back("sink " + r.name + " has not delivered an event waiting " +
                        std::to_string(*sink->oldest_age_s) + " s (limit " +
                        std::to_string(max_age.count() / 1000) + " s)");
  }
}
}  // namespace

HealthVerdict healthVerdict(Gateway& gw, std::chrono::milliseconds max_undelivered) {
  HealthVerdict v;
  const BufferStats b = gw.buffer().stats();
  const int64_t now = wallClockNs();
  for (const InstanceReport& r : gw.instances()) {
    if (isSink(r)) {
      const SinkView s = sinkView(gw, r, b, now);
      judge(r, &s, max_undelivered, v);
    } else {
      judge(r, nullptr, max_undelivered, v);
    }
  }
  if (b.disk_paused) {
    v.degraded = true;
    v.reasons.push_back("ingest is paused: the disk holding data_dir is nearly full");
  }
  return v;
}

json statusDocument(Gateway& gw, std::chrono::milliseconds max_undelivered) {
  const BufferStats b = gw.buffer().stats();
  const int64_t now = wallClockNs();
  const GatewayConfig cfg = gw.configSnapshot();
  json instances = json::array(), sinks = json::array(), uplinks = json::array();
  HealthVerdict verdict;
  bool uplink_up = false;
  const std::vector<InstanceReport> reports = gw.instances();
  for (const InstanceReport& r : reports) {
    instances.push_back({{"name", r.name},
                         {"plugin", r.plugin},
                         {"build", {{"version", r.version}, {"library", r.library}}},
                         {"state", r.state},
                         {"health", r.health},
                         {"last_error", r.last_error}});
    if (!isSink(r)) {
      judge(r, nullptr, max_undelivered, verdict);
      continue;
    }
    const SinkView s = sinkView(gw, r, b, now);
    judge(r, &s, max_undelivered, verdict);
    sinks.push_back({{"name", r.name},
                     {"lag", s.lag},
                     {"oldest_undelivered_age_s", s.oldest_age_s ? json(*s.oldest_age_s) : json()},
                     {"last_delivery_at",
                      s.last_delivery_ns > 0 ? json(formatRfc3339(s.last_delivery_ns)) : json()},
                     {"consecutive_failures", r.consecutive_failures}});
    if (isUplink(r)) {
      const bool up = r.state == "running" && r.health == "ok";
      uplink_up = uplink_up || up;
      uplinks.push_back({{"name", r.name}, {"plugin", r.plugin}, {"up", up}});
    }
  }
  if (b.disk_paused) {
    verdict.degraded = true;
    verdict.reasons.push_back("ingest is paused: the disk holding data_dir is nearly full");
  }
  json disk = {{"data_dir", cfg.data_dir.string()}};
  struct statvfs vfs {};
  if (::statvfs(cfg.data_dir.c_str(), &vfs) == 0) {
    disk["free_bytes"] = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    disk["total_bytes"] = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  }
  control::ControlPlane& control = gw.control();
  return {
      {"version", STOREGATE_VERSION},
      {"store_id", cfg.store_id},
      {"uptime_s", (now - gw.startedUnixNs()) / 1'000'000'000},
      {"started_at", formatRfc3339(gw.startedUnixNs())},
      {"config",
       {{"file", cfg.source_file.string()},
        {"version", control.version()},
        {"hash", control.configHash()}}},
      {"plugins", reports.size()},
      {"instances", instances},
      {"sinks", sinks},
      {"uplink",
       {{"state", uplinks.empty() ? "none"
                  : uplink_up     ? "up"
                                  : "down"},
        {"instances", uplinks}}},
      {"buffer",
       {{"events", b.events},
        {"bytes", b.bytes},
        {"last_sequence", b.last_sequence},
        {"dropped", b.dropped},
        {"dead_letters", b.dead_letters},
        {"quarantined", b.quarantined},
        {"disk_paused", b.disk_paused}}},
      {"disk", disk},
      {"health", {{"status", verdict.degraded ? "degraded" : "ok"}, {"reasons", verdict.reasons}}}};
}

}  // namespace storegate::admin
