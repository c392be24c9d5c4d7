// YAML → GatewayConfig, with every error reported by its path in the file.
#include "config/gateway_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace storegate {
namespace {

// YAML scalars carry no type; infer it the way YAML 1.2's core schema does, except that
// a quoted scalar is always a string.
nlohmann::json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  {
    std::istringstream in(s);
    long long i = 0;
    if (in >> i && in.eof()) {
      if (i >= 0) return static_cast<uint64_t>(i);
      return static_cast<int64_t>(i);
    }
  }
  {
    std::istringstream in(s);
    double d = 0;
    if (s.find_first_of(".eE") != std::string::npos && in >> d && in.eof()) return d;
  }
  return s;
}

nlohmann::json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : node) a.push_back(toJson(item));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : node) o[kv.first.as<std::string>()] = toJson(kv.second);
      return o;
    }
    default:
      return nullptr;
  }
}

bool validInstanceName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

class Reader {
 public:
  Reader(const std::filesystem::path& base, ConfigErrors& errors) : base_(base), errors_(errors) {}

  void unknownKeys(const nlohmann::json& obj, const std::string& path,
                   std::initializer_list<const char*> known) {
    for (const auto& [k, v] : obj.items()) {
      bool ok = false;
      for (const char* name : known) ok = ok || k == name;
      if (!ok) {
        std::string list;
        for (const char* name : known) list += (list.empty() ? "" : ", ") + std::string(name);
        errors_.push_back({join(path, k), "unknown key (expected one of: " + list + ")"});
      }
    }
  }
  std::string string(const nlohmann::json& obj, const std::string& path, const char* key,
                     const std::string& fallback, bool required = false) {
    if (!obj.contains(key) || obj[key].is_null()) {
      if (required) errors_.push_back({join(path, key), "is required"});
      return fallback;
    }
    if (!obj[key].is_string()) {
      errors_.push_back({join(path, key), "must be a string, got " + obj[key].dump()});
      return fallback;
    }
    return obj[key].get<std::string>();
  }
  bool boolean(const nlohmann::json& obj, const std::string& path, const char* key, bool fallback) {
    if (!obj.contains(key)) return fallback;
    if (!obj[key].is_boolean()) {
      errors_.push_back({join(path, key), "must be true or false, got " + obj[key].dump()});
      return fallback;
    }
    return obj[key].get<bool>();
  }
  std::filesystem::path pathValue(const std::string& text) const {
    if (text.empty()) return {};
    std::filesystem::path p(text);
    return p.is_absolute() ? p : (base_ / p).lexically_normal();
  }
  ConfigErrors& errors() { return errors_; }
  const std::filesystem::path& baseDir() const { return base_; }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::filesystem::path base_;
  ConfigErrors& errors_;
};

void readLog(Reader& r, const nlohmann::json& log, LogOptions& out) {
  if (log.is_null()) return;
  if (!log.is_object()) {
    r.errors().push_back({"log", "must be a mapping"});
    return;
  }
  r.unknownKeys(log, "log", {"level", "format", "file", "syslog", "console"});
  const std::string level = r.string(log, "log", "level", "info");
  if (auto l = parseLogLevel(level))
    out.level = *l;
  else
    r.errors().push_back(
        {"log.level", "'" + level + "' is not one of: trace, debug, info, warn, error"});
  const std::string format = r.string(log, "log", "format", "text");
  if (format != "text" && format != "json") {
    r.errors().push_back({"log.format", "'" + format + "' is not one of: text, json"});
  }
  out.json = format == "json";
  const std::string file = r.string(log, "log", "file", "");
  out.file = file.empty() ? std::string() : r.pathValue(file).string();
  out.syslog = r.boolean(log, "log", "syslog", false);
  out.console = r.boolean(log, "log", "console", true);
}

void readBuffer(Reader& r, const nlohmann::json& buffer, BufferOptions& out) {
  if (buffer.is_null()) return;
  if (!buffer.is_object()) {
    r.errors().push_back({"buffer", "must be a mapping"});
    return;
  }
  r.unknownKeys(buffer, "buffer", {"durability", "backend"});
  const std::string d = r.string(buffer, "buffer", "durability", "sync");
  if (d == "sync")
    out.durability = Durability::Sync;
  else if (d == "batch")
    out.durability = Durability::Batch;
  else if (d == "none")
    out.durability = Durability::None;
  else
    r.errors().push_back({"buffer.durability", "'" + d + "' is not one of: sync, batch, none"});
  out.backend = r.string(buffer, "buffer", "backend", "memory");
  if (out.backend != "memory") {
    r.errors().push_back({"buffer.backend", "'" + out.backend + "' is not one of: memory"});
  }
}

void readPlugins(Reader& r, const nlohmann::json& plugins, std::vector<InstanceSpec>& out) {
  if (plugins.is_null()) return;
  if (!plugins.is_array()) {
    r.errors().push_back({"plugins", "must be a list of plugin instances"});
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < plugins.size(); ++i) {
    const std::string path = "plugins[" + std::to_string(i) + "]";
    const nlohmann::json& p = plugins[i];
    if (!p.is_object()) {
      r.errors().push_back({path, "must be a mapping with name, plugin and config"});
      continue;
    }
    r.unknownKeys(p, path, {"name", "plugin", "library", "enabled", "config"});
    InstanceSpec spec;
    spec.path = path;
    spec.base_dir = r.baseDir();
    spec.plugin = r.string(p, path, "plugin", "", true);
    spec.name = r.string(p, path, "name", spec.plugin);
    if (!validInstanceName(spec.name)) {
      r.errors().push_back(
          {path + ".name", "'" + spec.name + "' must be 1-64 characters of a-z, 0-9, _ and -"});
    } else if (!names.insert(spec.name).second) {
      r.errors().push_back({path + ".name", "'" + spec.name + "' is used by another instance"});
    }
    spec.library = r.pathValue(r.string(p, path, "library", ""));
    spec.enabled = r.boolean(p, path, "enabled", true);
    if (p.contains("config") && !p["config"].is_null()) {
      if (!p["config"].is_object())
        r.errors().push_back({path + ".config", "must be a mapping"});
      else
        spec.config = p["config"];
    }
    out.push_back(std::move(spec));
  }
}

}  // namespace

std::optional<GatewayConfig> parseConfig(const std::string& yaml_text,
                                         const std::filesystem::path& base_dir,
                                         ConfigErrors& errors) {
  const size_t before = errors.size();
  nlohmann::json root;
  try {
    root = toJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    errors.push_back({"line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1),
                      "YAML syntax error: " + e.msg});
    return std::nullopt;
  }
  if (!root.is_object()) {
    errors.push_back({"", "the config must be a YAML mapping (store_id, data_dir, plugins, ...)"});
    return std::nullopt;
  }
  Reader r(base_dir, errors);
  r.unknownKeys(root, "", {"store_id", "data_dir", "plugin_dirs", "log", "buffer", "plugins"});
  GatewayConfig cfg;
  cfg.store_id = r.string(root, "", "store_id", "", true);
  if (root.contains("store_id") && root["store_id"].is_string() && cfg.store_id.empty()) {
    errors.push_back({"store_id", "must not be empty"});
  }
  cfg.data_dir = r.pathValue(r.string(root, "", "data_dir", "", true));
  if (root.contains("plugin_dirs")) {
    const auto& dirs = root["plugin_dirs"];
    if (!dirs.is_array()) {
      errors.push_back({"plugin_dirs", "must be a list of directories"});
    } else {
      for (size_t i = 0; i < dirs.size(); ++i) {
        if (!dirs[i].is_string()) {
          errors.push_back({"plugin_dirs[" + std::to_string(i) + "]", "must be a string"});
        } else {
          cfg.plugin_dirs.push_back(r.pathValue(dirs[i].get<std::string>()));
        }
      }
    }
  }
  readLog(r, root.value("log", nlohmann::json()), cfg.log);
  readBuffer(r, root.value("buffer", nlohmann::json()), cfg.buffer);
  readPlugins(r, root.value("plugins", nlohmann::json()), cfg.plugins);
  if (errors.size() != before) return std::nullopt;
  return cfg;
}

std::optional<GatewayConfig> loadConfigFile(const std::filesystem::path& file,
                                            ConfigErrors& errors) {
  std::ifstream in(file);
  if (!in) {
    errors.push_back({file.string(), "cannot be read (does it exist, and may this user read it?)"});
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  const auto abs = std::filesystem::absolute(file, ec);
  auto cfg = parseConfig(text.str(), abs.parent_path(), errors);
  if (cfg) cfg->source_file = abs;
  return cfg;
}

}  // namespace storegate
