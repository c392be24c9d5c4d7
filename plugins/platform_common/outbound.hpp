// What both uplinks do to an event before it leaves the store: hold back what must not go
// (the uplink's own inbound events, member codes past their time-to-live), pseudonymize
// member identifiers, and render CloudEvents JSON.
#pragma once

#include <optional>
#include <storegate/sdk.hpp>
#include <string>
#include <string_view>

#include "pseudonymizer.hpp"

namespace storegate::plugins::platform {

enum class Verdict {
  kSend,
  kOwn,      // emitted by this uplink (a command or roster from the cloud): not echoed back
  kExpired,  // data.expires_at has passed: a member code that can no longer be redeemed
};

[[nodiscard]] Verdict classify(const sg_event& e, std::string_view own_source, int64_t now_unix_ns);

// One CloudEvents 1.0 JSON object, with member identifiers in `data` pseudonymized.
[[nodiscard]] std::string renderCloudEvent(const sg_event& e, const Pseudonymizer& p);

// "2026-11-24T10:15:00Z", "…T10:15:00.250Z" or "…T10:15:00+08:00" → Unix ns.
[[nodiscard]] std::optional<int64_t> parseRfc3339(std::string_view text);

}  // namespace storegate::plugins::platform
