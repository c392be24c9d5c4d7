// member_roster: resolves member-code scans against the roster the cloud sent down, in the
// store, so a scan is identified while the uplink is down.
//
// A sink of `store.roster.update` (emitted by the platform uplinks) and `store.member.scan`
// (emitted by scanners), with its own cursor, so it never waits for the uplink. The roster
// lives in this instance's plugin state and survives restarts and hot swaps. For each scan
// of a known code it emits `store.member.identified`; scans past their `expires_at` are
// not resolved (a dynamic code that can no longer be redeemed), unknown codes are counted.
#pragma once

#include <storegate/sdk.hpp>

#include "roster.hpp"  // platform_common

namespace storegate::plugins::member_roster {

class MemberRoster final : public sdk::Plugin {
 public:
  MemberRoster(sdk::Host host, const sdk::Config& config);

  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override;

 private:
  // Returns the identified event for a scan, if its code is known and still valid.
  std::optional<sdk::Event> resolve(const sg_event& scan, int64_t now_unix_ns);

  platform::Roster roster_;
  const size_t max_members_;
};

}  // namespace storegate::plugins::member_roster
