#include "roster.hpp"

namespace storegate::plugins::platform {

namespace {
using nlohmann::json;

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw sdk::Error("roster " + where + ": " + what, SG_ERR_INVALID);
}

std::string needString(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    invalid(where + "." + key, "missing or not a non-empty string");
  return it->get<std::string>();
}

std::string optString(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) invalid(where + "." + key, "not a string");
  return it->get<std::string>();
}

Member parseMember(const json& m, const std::string& where, bool code_only) {
  if (!m.is_object()) invalid(where, "not an object");
  Member out;
  out.member_code = needString(m, "member_code", where);
  if (code_only) return out;
  out.member_id = needString(m, "member_id", where);
  out.tier = optString(m, "tier", where);
  if (const auto tags = m.find("tags"); tags != m.end() && !tags->is_null()) {
    if (!tags->is_array()) invalid(where + ".tags", "not a list of strings");
    for (size_t i = 0; i < tags->size(); ++i) {
      if (!(*tags)[i].is_string())
        invalid(where + ".tags[" + std::to_string(i) + "]", "not a string");
      out.tags.push_back((*tags)[i].get<std::string>());
    }
  }
  return out;
}

json memberJson(const Member& m) {
  json j{{"member_code", m.member_code}};
  if (!m.member_id.empty()) j["member_id"] = m.member_id;
  if (!m.tier.empty()) j["tier"] = m.tier;
  if (!m.tags.empty()) j["tags"] = m.tags;
  return j;
}

const char* opName(RosterUpdate::Op op) {
  switch (op) {
    case RosterUpdate::Op::kUpsert:
      return "upsert";
    case RosterUpdate::Op::kRemove:
      return "remove";
    case RosterUpdate::Op::kReplace:
      break;
  }
  return "replace";
}
}  // namespace

RosterUpdate parseRosterUpdate(std::string_view text) {
  if (sdk::jsonNesting(text) > sdk::kMaxJsonDepth)
    invalid("document", "nests deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels");
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) invalid("document", "not valid JSON");
  if (!doc.is_object()) invalid("document", "not a JSON object");
  RosterUpdate u;
  const std::string op = optString(doc, "op", "document");
  if (op.empty() || op == "replace") {
    u.op = RosterUpdate::Op::kReplace;
  } else if (op == "upsert") {
    u.op = RosterUpdate::Op::kUpsert;
  } else if (op == "remove") {
    u.op = RosterUpdate::Op::kRemove;
  } else {
    invalid("op", "'" + op + "' is not one of replace, upsert, remove");
  }
  u.version = optString(doc, "version", "document");
  const auto members = doc.find("members");
  if (members == doc.end() || !members->is_array()) invalid("members", "missing or not a list");
  u.members.reserve(members->size());
  for (size_t i = 0; i < members->size(); ++i) {
    u.members.push_back(parseMember((*members)[i], "members[" + std::to_string(i) + "]",
                                    u.op == RosterUpdate::Op::kRemove));
  }
  return u;
}

json toJson(const RosterUpdate& u) {
  json members = json::array();
  for (const Member& m : u.members) members.push_back(memberJson(m));
  json j{{"op", opName(u.op)}, {"members", std::move(members)}};
  if (!u.version.empty()) j["version"] = u.version;
  return j;
}

std::vector<sdk::Event> rosterEvents(const RosterUpdate& update, size_t chunk) {
  if (chunk == 0) chunk = 1;
  std::vector<sdk::Event> events;
  const size_t n = update.members.size();
  for (size_t start = 0; start < n || (start == 0 && n == 0); start += chunk) {
    RosterUpdate part;
    part.op = (start > 0 && update.op == RosterUpdate::Op::kReplace) ? RosterUpdate::Op::kUpsert
                                                                     : update.op;
    part.version = update.version;
    const size_t end = std::min(n, start + chunk);
    part.members.assign(update.members.begin() + static_cast<std::ptrdiff_t>(start),
                        update.members.begin() + static_cast<std::ptrdiff_t>(end));
    sdk::Event e;
    e.type = "store.roster.update";
    e.subject = update.version;
    if (!update.version.empty())
      e.dedupkey = "roster/" + update.version + "/" + std::to_string(start / chunk);
    e.data = toJson(part).dump();
    events.push_back(std::move(e));
    if (n == 0) break;
  }
  return events;
}

void Roster::apply(const RosterUpdate& u) {
  if (u.op == RosterUpdate::Op::kReplace) members_.clear();
  for (const Member& m : u.members) {
    if (u.op == RosterUpdate::Op::kRemove) {
      members_.erase(m.member_code);
    } else {
      members_.insert_or_assign(m.member_code, m);
    }
  }
  if (!u.version.empty()) version_ = u.version;
}

const Member* Roster::find(std::string_view code) const {
  const auto it = members_.find(code);
  return it == members_.end() ? nullptr : &it->second;
}

std::string Roster::toState() const {
  RosterUpdate all;
  all.version = version_;
  all.members.reserve(members_.size());
  for (const auto& [code, m] : members_) all.members.push_back(m);
  return toJson(all).dump();
}

Roster Roster::fromState(std::string_view text) {
  Roster r;
  r.apply(parseRosterUpdate(text));
  return r;
}

}  // namespace storegate::plugins::platform
