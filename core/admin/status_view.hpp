// The read models an operator trusts: one status document (GET /v1/status, and the fleet's
// retained status later) and the health verdict (GET /v1/health). Read-only: they take no
// control-plane lock and may run concurrently with any change.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace storegate::admin {

class Gateway;

struct HealthVerdict {
  bool degraded = false;
  std::vector<std::string> reasons;  // "instance door is failed: …", "sink cloud: …"
};

// Version, store, uptime, config version and hash, every instance (state, health, build),
// every sink (lag, oldest undelivered age, last delivery), buffer, disk free, uplink, health.
[[nodiscard]] nlohmann::json statusDocument(Gateway& gw, std::chrono::milliseconds max_undelivered);

// Degraded when an instance is failed, or a sink has had events waiting longer than
// `max_undelivered` (0: never) without delivering any.
[[nodiscard]] HealthVerdict healthVerdict(Gateway& gw, std::chrono::milliseconds max_undelivered);

}  // namespace storegate::admin
