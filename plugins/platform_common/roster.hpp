// The member roster: member code → member id, tier, tags. The cloud sends it down (MQTT
// roster topic, HTTP pull); the uplinks turn it into `store.roster.update` events, and the
// member_roster plugin keeps it in its state to resolve scans while the uplink is down.
//
// Document (one update):
//   {"op": "replace" | "upsert" | "remove", "version": "v42",
//    "members": [{"member_code": "M-1001", "member_id": "u-77", "tier": "gold",
//                 "tags": ["vip"]}]}
// `op` defaults to "replace" (a full roster); "remove" needs only member_code.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace storegate::plugins::platform {

struct Member {
  std::string member_code;
  std::string member_id;
  std::string tier;
  std::vector<std::string> tags;
};

struct RosterUpdate {
  enum class Op { kReplace, kUpsert, kRemove };
  Op op = Op::kReplace;
  std::string version;
  std::vector<Member> members;
};

// Throws sdk::Error (SG_ERR_INVALID) naming the first problem, e.g.
// "members[3].member_code: missing or not a string".
[[nodiscard]] RosterUpdate parseRosterUpdate(std::string_view json);
[[nodiscard]] nlohmann::json toJson(const RosterUpdate& update);

// The update as `store.roster.update` events of at most `chunk` members each: a large
// replace becomes one replace followed by upserts, each with a dedupkey derived from the
// version, so a re-sent roster is stored once.
[[nodiscard]] std::vector<sdk::Event> rosterEvents(const RosterUpdate& update, size_t chunk);

class Roster {
 public:
  void apply(const RosterUpdate& update);
  [[nodiscard]] const Member* find(std::string_view code) const;
  [[nodiscard]] size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] const std::string& version() const noexcept { return version_; }

  // Compact state form; fromState throws sdk::Error on a value it cannot read.
  [[nodiscard]] std::string toState() const;
  static Roster fromState(std::string_view text);

 private:
  std::map<std::string, Member, std::less<>> members_;
  std::string version_;
};

}  // namespace storegate::plugins::platform
