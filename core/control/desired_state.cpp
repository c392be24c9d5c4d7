#include "control/desired_state.hpp"

#include "common/file_io.hpp"
#include "common/log.hpp"
#include "event/json_check.hpp"
#include "package/signing.hpp"

namespace storegate::control {

using nlohmann::json;

namespace {
constexpr int kFormat = 1;
constexpr size_t kMaxFileBytes = 16 << 20;

json changeJson(const InstanceChange& c) {
  json j{{"base_hash", c.base_hash}};
  if (c.config) j["config"] = *c.config;
  if (c.library) j["library"] = *c.library;
  if (c.previous) j["previous"] = *c.previous;
  if (c.stopped) j["stopped"] = true;
  if (c.removed) j["removed"] = true;
  if (c.added) j["added"] = *c.added;
  return j;
}

Status optionalString(const json& j, const char* key, std::optional<std::string>& out) {
  if (!j.contains(key)) return Status::success();
  if (!j[key].is_string()) return Status::invalid(std::string(key) + " must be a string");
  out = j[key].get<std::string>();
  return Status::success();
}
}  // namespace

json DesiredState::toJson() const {
  json list = json::object();
  for (const auto& [name, c] : instances) list[name] = changeJson(c);
  return {{"format", kFormat}, {"version", version}, {"instances", list}};
}

Status DesiredState::fromJson(const json& j, DesiredState& out) {
  if (!j.is_object() || !j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != kFormat)
    return Status::invalid("not a desired-state document of format " + std::to_string(kFormat));
  if (!j.contains("version") || !j["version"].is_number_unsigned())
    return Status::invalid("version must be a non-negative integer");
  if (!j.contains("instances") || !j["instances"].is_object())
    return Status::invalid("instances must be an object");
  DesiredState s;
  s.version = j["version"].get<uint64_t>();
  for (const auto& [name, c] : j["instances"].items()) {
    if (!c.is_object() || !c.contains("base_hash") || !c["base_hash"].is_string())
      return Status::invalid("instances." + name + " needs a base_hash");
    InstanceChange change;
    change.base_hash = c["base_hash"].get<std::string>();
    if (c.contains("config")) {
      if (!c["config"].is_object()) return Status::invalid("instances." + name + ".config");
      change.config = c["config"];
    }
    if (Status st = optionalString(c, "library", change.library); !st.ok()) return st;
    if (Status st = optionalString(c, "previous", change.previous); !st.ok()) return st;
    for (const char* flag : {"stopped", "removed"})
      if (c.contains(flag) && !c[flag].is_boolean())
        return Status::invalid("instances." + name + "." + flag + " must be true or false");
    change.stopped = c.contains("stopped") && c["stopped"].get<bool>();
    change.removed = c.contains("removed") && c["removed"].get<bool>();
    if (c.contains("added")) {
      const json& a = c["added"];
      if (!a.is_object() || !a.contains("plugin") || !a["plugin"].is_string())
        return Status::invalid("instances." + name + ".added needs a plugin");
      change.added = a;
    }
    s.instances[name] = std::move(change);
  }
  out = std::move(s);
  return Status::success();
}

std::string specHash(const InstanceSpec& spec) {
  // The library by its real path: the same file however the config path was spelled.
  std::error_code ec;
  const auto library =
      spec.library.empty() ? spec.library : std::filesystem::weakly_canonical(spec.library, ec);
  const json j{{"name", spec.name},
               {"plugin", spec.plugin},
               {"library", (ec ? spec.library : library).string()},
               {"enabled", spec.enabled},
               {"config", spec.config},
               {"delivery", spec.delivery_json}};
  return package::sha256Hex(j.dump(-1, ' ', false, json::error_handler_t::replace)).substr(0, 32);
}

GatewayConfig effectiveConfig(const GatewayConfig& file, DesiredState& desired,
                              std::vector<std::string>& dropped) {
  GatewayConfig out = file;
  std::map<std::string, InstanceSpec*> by_name;
  for (InstanceSpec& s : out.plugins) by_name[s.name] = &s;
  for (auto it = desired.instances.begin(); it != desired.instances.end();) {
    const std::string& name = it->first;
    InstanceChange& c = it->second;
    const auto found = by_name.find(name);
    // An added instance has no file spec: its base is "not in the file" (empty hash).
    const std::string base = found == by_name.end() ? std::string() : specHash(*found->second);
    if (base != c.base_hash) {
      dropped.push_back(name + ": the config file changed this instance since; the file wins");
      it = desired.instances.erase(it);
      continue;
    }
    if (c.added && found == by_name.end()) {
      const json& a = *c.added;
      InstanceSpec spec;
      spec.name = name;
      spec.plugin = a["plugin"].get<std::string>();
      spec.path = "plugins[" + name + "]";
      spec.base_dir = file.source_file.parent_path();
      if (a.contains("config") && a["config"].is_object()) spec.config = a["config"];
      spec.delivery_json = json::object();
      if (a.contains("library") && a["library"].is_string())
        spec.library = a["library"].get<std::string>();
      if (a.contains("match") && a["match"].is_array()) {
        for (const json& m : a["match"])
          if (m.is_string()) spec.delivery.match.push_back(m.get<std::string>());
        spec.delivery_json = json{{"match", a["match"]}};
      }
      out.plugins.push_back(std::move(spec));
      by_name.clear();
      for (InstanceSpec& s : out.plugins) by_name[s.name] = &s;
    }
    InstanceSpec* spec = by_name.count(name) ? by_name[name] : nullptr;
    if (spec != nullptr) {
      if (c.config) spec->config = *c.config;
      if (c.library) spec->library = *c.library;
      // A stopped instance stays configured (a sink's backlog stays held for it); the
      // control plane adds it without starting it.
      if (c.removed) spec->enabled = false;
    }
    ++it;
  }
  return out;
}

DesiredStateFile::DesiredStateFile(std::filesystem::path data_dir)
    : file_(std::move(data_dir) / "control" / "desired.json") {}

Status DesiredStateFile::load(DesiredState& out) const {
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) {
    out = DesiredState{};
    return Status::success();
  }
  const auto size = std::filesystem::file_size(file_, ec);
  const auto bytes = ec || size > kMaxFileBytes ? std::nullopt : readWholeFile(file_);
  const std::string what_to_do =
      " (move it aside to start from the config file alone; the changes it held are lost)";
  if (!bytes) return Status::failed("cannot read " + file_.string() + what_to_do);
  if (!isValidJson(*bytes, 64))
    return Status::invalid(file_.string() + " is damaged: not JSON" + what_to_do);
  const json j = json::parse(*bytes, nullptr, false);
  if (Status s = DesiredState::fromJson(j, out); !s.ok())
    return Status::invalid(file_.string() + ": " + s.message + what_to_do);
  return Status::success();
}

Status DesiredStateFile::save(const DesiredState& state) const {
  if (Status s = createDirectoriesDurably(file_.parent_path()); !s.ok()) return s;
  return writeFileDurably(
      file_, state.toJson().dump(1, ' ', false, json::error_handler_t::replace) + "\n", 0600);
}

}  // namespace storegate::control
