#include "member_roster.hpp"

#include <nlohmann/json.hpp>

#include "outbound.hpp"  // platform_common: parseRfc3339

namespace storegate::plugins::member_roster {

namespace {
constexpr const char* kStateKey = "roster";
}

MemberRoster::MemberRoster(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)), max_members_(static_cast<size_t>(config.getInt("max_members"))) {
  if (const auto saved = this->host().stateGet(kStateKey)) {
    roster_ = platform::Roster::fromState(*saved);
    this->host().info("roster loaded from state: " + std::to_string(roster_.size()) +
                      " members, version " +
                      (roster_.version().empty() ? "(none)" : roster_.version()));
  }
  this->host().gaugeSet("roster_members", static_cast<double>(roster_.size()));
}

std::optional<sdk::Event> MemberRoster::resolve(const sg_event& scan, int64_t now) {
  const nlohmann::json data = nlohmann::json::parse(sdk::view(scan.data), nullptr, false);
  if (!data.is_object() || !data.contains("member_code") || !data["member_code"].is_string()) {
    host().counterAdd("scans_unreadable");
    return std::nullopt;
  }
  if (data.contains("expires_at") && data["expires_at"].is_string()) {
    const auto at = platform::parseRfc3339(data["expires_at"].get_ref<const std::string&>());
    if (at && *at <= now) {
      host().counterAdd("scans_expired");
      return std::nullopt;
    }
  }
  const std::string& code = data["member_code"].get_ref<const std::string&>();
  const platform::Member* m = roster_.find(code);
  if (m == nullptr) {
    host().counterAdd("scans_unknown");
    return std::nullopt;
  }
  nlohmann::json out{{"member_code", code},
                     {"member_id", m->member_id},
                     {"scan_id", std::string(sdk::view(scan.id))},
                     {"scanned_at", sdk::detail::rfc3339(scan.time_unix_ns)}};
  if (!m->tier.empty()) out["tier"] = m->tier;
  if (!m->tags.empty()) out["tags"] = m->tags;
  if (!roster_.version().empty()) out["roster_version"] = roster_.version();
  sdk::Event e;
  e.type = "store.member.identified";
  e.subject = std::string(sdk::view(scan.subject));
  e.dedupkey = "identified/" + std::string(sdk::view(scan.id));
  e.time_unix_ns = scan.time_unix_ns;
  e.data = out.dump();
  host().counterAdd("scans_identified");
  return e;
}

sdk::DeliveryOutcome MemberRoster::deliver(std::span<const sg_event> events) {
  const int64_t now = host().nowUnixNs();
  std::vector<sdk::Event> identified;
  bool changed = false;
  // In order: a scan is resolved against the roster as it stood when the scan happened.
  for (const sg_event& e : events) {
    const std::string_view type = sdk::view(e.type);
    if (type == "store.roster.update") {
      try {
        const platform::RosterUpdate update = platform::parseRosterUpdate(sdk::view(e.data));
        platform::Roster next = roster_;
        next.apply(update);
        if (next.size() > max_members_) {
          host().counterAdd("roster_rejected");
          host().warn("roster update " + update.version + " would hold " +
                      std::to_string(next.size()) + " members, over max_members " +
                      std::to_string(max_members_) + "; kept the previous roster");
          continue;
        }
        roster_ = std::move(next);
        changed = true;
      } catch (const sdk::Error& err) {
        host().counterAdd("roster_rejected");
        host().warn(std::string("roster update ignored: ") + err.what());
      }
    } else if (type == "store.member.scan") {
      if (auto id = resolve(e, now)) identified.push_back(std::move(*id));
    }
  }
  if (!identified.empty()) {
    const sg_status s = host().emitBatch(identified);
    if (s == SG_ERR_BACKPRESSURE) return sdk::DeliveryOutcome::retry(0);
    if (s != SG_OK) throw sdk::Error("cannot store identified members (status " + std::to_string(s) + ")");
  }
  if (changed) {
    if (host().statePut(kStateKey, roster_.toState()) != SG_OK)
      throw sdk::Error("cannot save the roster in plugin state");
    host().gaugeSet("roster_members", static_cast<double>(roster_.size()));
  }
  return sdk::DeliveryOutcome::all(events.size());
}

}  // namespace storegate::plugins::member_roster
