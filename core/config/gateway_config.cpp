// YAML → GatewayConfig, with every error reported by its path in the file.
#include "config/gateway_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/time.hpp"
#include "config/yaml_guard.hpp"

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
      errors_.push_back(
          {join(path, key),
           "must be a string, got " +
               obj[key].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      return fallback;
    }
    return obj[key].get<std::string>();
  }
  bool boolean(const nlohmann::json& obj, const std::string& path, const char* key, bool fallback) {
    if (!obj.contains(key)) return fallback;
    if (!obj[key].is_boolean()) {
      errors_.push_back(
          {join(path, key),
           "must be true or false, got " +
               obj[key].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      return fallback;
    }
    return obj[key].get<bool>();
  }
  std::chrono::milliseconds duration(const nlohmann::json& obj, const std::string& path,
                                     const char* key, std::chrono::milliseconds fallback) {
    if (!obj.contains(key)) return fallback;
    const auto& v = obj[key];
    std::optional<std::chrono::milliseconds> d;
    if (v.is_number_unsigned())
      d = std::chrono::milliseconds(v.get<int64_t>());
    else if (v.is_string())
      d = parseDuration(v.get<std::string>());
    if (!d) {
      errors_.push_back(
          {join(path, key), "must be a duration like 250ms, 5s, 2m or 1h, got " +
                                v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      return fallback;
    }
    return *d;
  }
  uint64_t size(const nlohmann::json& obj, const std::string& path, const char* key,
                uint64_t fallback) {
    if (!obj.contains(key)) return fallback;
    const auto& v = obj[key];
    std::optional<uint64_t> s;
    if (v.is_number_unsigned())
      s = v.get<uint64_t>();
    else if (v.is_string())
      s = parseSize(v.get<std::string>());
    if (!s) {
      errors_.push_back(
          {join(path, key), "must be a size like 512, 64KiB, 8MiB or 1GiB, got " +
                                v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      return fallback;
    }
    return *s;
  }
  int64_t integer(const nlohmann::json& obj, const std::string& path, const char* key,
                  int64_t fallback, int64_t min, int64_t max) {
    if (!obj.contains(key)) return fallback;
    const auto& v = obj[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      errors_.push_back(
          {join(path, key), v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                                " is not an integer in " + std::to_string(min) + ".." +
                                std::to_string(max)});
      return fallback;
    }
    return v.get<int64_t>();
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
  r.unknownKeys(log, "log",
                {"level", "format", "file", "syslog", "console", "max_file_size", "keep_files"});
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
  out.max_file_size = r.size(log, "log", "max_file_size", out.max_file_size);
  if (out.max_file_size < (64u << 10))
    r.errors().push_back({"log.max_file_size",
                          "must be at least 64KiB (a log on flash is rotated "
                          "at this size; 10MiB is the default)"});
  out.keep_files = static_cast<int>(r.integer(log, "log", "keep_files", out.keep_files, 1, 20));
}

// The store id names MQTT topics (stores/{id}/…), files and every event's source: UTF-8 (a
// Chinese store name is fine), no control characters, none of MQTT's / + # wildcards.
std::string storeIdProblem(const std::string& id) {
  if (id.empty()) return {};
  if (id.size() > 128) return "must be at most 128 bytes";
  for (size_t i = 0; i < id.size();) {
    const auto c = static_cast<unsigned char>(id[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > id.size()) return "is not valid UTF-8";
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(id[i + k]);
      if ((cc & 0xC0) != 0x80) return "is not valid UTF-8";
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return "is not valid UTF-8";
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
      return "must not contain control characters";
    if (cp == '/' || cp == '+' || cp == '#')
      return "must not contain '/', '+' or '#' (it names MQTT topics)";
    i += n;
  }
  return {};
}

void readAdmin(Reader& r, const nlohmann::json& admin, AdminOptions& out) {
  if (admin.is_null()) return;
  if (!admin.is_object()) {
    r.errors().push_back({"admin", "must be a mapping"});
    return;
  }
  const std::string p = "admin";
  r.unknownKeys(admin, p,
                {"enabled", "listen", "tokens_file", "audit_file", "max_body", "max_upload",
                 "threads", "queue", "timeout", "request_timeout", "max_connections_per_address",
                 "rate_per_second", "burst", "tls", "health_max_undelivered"});
  out.enabled = r.boolean(admin, p, "enabled", true);
  out.listen = r.string(admin, p, "listen", out.listen);
  if (out.listen.rfind(':') == std::string::npos || out.listen.rfind(':') == 0)
    r.errors().push_back({"admin.listen", "'" + out.listen + "' must be host:port"});
  const std::string tokens = r.string(admin, p, "tokens_file", "");
  if (!tokens.empty()) out.tokens_file = r.pathValue(tokens);
  const std::string audit = r.string(admin, p, "audit_file", "");
  if (!audit.empty()) out.audit_file = r.pathValue(audit);
  out.max_body = r.size(admin, p, "max_body", out.max_body);
  out.max_upload = r.size(admin, p, "max_upload", out.max_upload);
  out.threads = static_cast<int>(r.integer(admin, p, "threads", out.threads, 1, 64));
  out.queue = static_cast<int>(r.integer(admin, p, "queue", out.queue, 1, 1024));
  out.timeout = r.duration(admin, p, "timeout", out.timeout);
  out.request_timeout = r.duration(admin, p, "request_timeout", out.request_timeout);
  if (out.timeout < std::chrono::milliseconds(100) ||
      out.request_timeout < std::chrono::milliseconds(100))
    r.errors().push_back({"admin.timeout", "timeout and request_timeout must be at least 100ms"});
  out.max_connections_per_address = static_cast<int>(
      r.integer(admin, p, "max_connections_per_address", out.max_connections_per_address, 0, 64));
  out.health_max_undelivered =
      r.duration(admin, p, "health_max_undelivered", out.health_max_undelivered);
  out.burst = static_cast<int>(r.integer(admin, p, "burst", out.burst, 1, 100000));
  if (admin.contains("rate_per_second")) {
    const auto& v = admin["rate_per_second"];
    if (!v.is_number() || v.get<double>() <= 0)
      r.errors().push_back({"admin.rate_per_second", "must be a positive number"});
    else
      out.rate_per_second = v.get<double>();
  }
  if (admin.contains("tls")) {
    const auto& tls = admin["tls"];
    r.unknownKeys(tls, "admin.tls", {"cert_file", "key_file", "client_ca_file"});
    out.tls_cert = r.pathValue(r.string(tls, "admin.tls", "cert_file", ""));
    out.tls_key = r.pathValue(r.string(tls, "admin.tls", "key_file", ""));
    out.tls_client_ca = r.pathValue(r.string(tls, "admin.tls", "client_ca_file", ""));
    if (out.tls_cert.empty() != out.tls_key.empty())
      r.errors().push_back({"admin.tls", "cert_file and key_file go together"});
  }
}

void readTrust(Reader& r, const nlohmann::json& t, PluginTrustOptions& out) {
  if (t.is_null()) return;
  if (!t.is_object()) {
    r.errors().push_back({"plugin_trust", "must be a mapping"});
    return;
  }
  r.unknownKeys(t, "plugin_trust", {"require_signature", "trusted_keys"});
  out.require_signature = r.boolean(t, "plugin_trust", "require_signature", false);
  const std::string keys = r.string(t, "plugin_trust", "trusted_keys", "");
  if (!keys.empty()) out.trusted_keys = r.pathValue(keys);
}

QuotaPolicy readPolicy(Reader& r, const std::string& path, const nlohmann::json& v) {
  if (v == "block") return QuotaPolicy::Block;
  if (v != "drop_oldest")
    r.errors().push_back({path, v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                                    " is not one of: drop_oldest, block"});
  return QuotaPolicy::DropOldest;
}

void readBuffer(Reader& r, const nlohmann::json& buffer, BufferOptions& out) {
  if (buffer.is_null()) return;
  if (!buffer.is_object()) {
    r.errors().push_back({"buffer", "must be a mapping"});
    return;
  }
  const std::string p = "buffer";
  r.unknownKeys(buffer, p,
                {"backend", "durability", "batch_sync_interval", "block_cache", "write_buffer",
                 "max_wal_size", "quota", "quota_policy", "quota_policy_by_type", "dedup_window",
                 "disk_min_free", "disk_resume_free"});
  out.backend = r.string(buffer, p, "backend", out.backend);
  if (out.backend != "rocksdb" && out.backend != "memory") {
    r.errors().push_back(
        {"buffer.backend", "'" + out.backend + "' is not one of: rocksdb, memory"});
  }
  const std::string d = r.string(buffer, p, "durability", "sync");
  if (d == "sync")
    out.durability = Durability::Sync;
  else if (d == "batch")
    out.durability = Durability::Batch;
  else if (d == "none")
    out.durability = Durability::None;
  else
    r.errors().push_back({"buffer.durability", "'" + d + "' is not one of: sync, batch, none"});
  out.batch_sync_interval = r.duration(buffer, p, "batch_sync_interval", out.batch_sync_interval);
  out.block_cache_bytes = r.size(buffer, p, "block_cache", out.block_cache_bytes);
  out.write_buffer_bytes = r.size(buffer, p, "write_buffer", out.write_buffer_bytes);
  out.max_wal_bytes = r.size(buffer, p, "max_wal_size", out.max_wal_bytes);
  out.quota_bytes = r.size(buffer, p, "quota", out.quota_bytes);
  if (buffer.contains("quota_policy"))
    out.quota_policy = readPolicy(r, "buffer.quota_policy", buffer["quota_policy"]);
  if (buffer.contains("quota_policy_by_type")) {
    const auto& m = buffer["quota_policy_by_type"];
    if (!m.is_object()) {
      r.errors().push_back(
          {"buffer.quota_policy_by_type", "must be a mapping of event type glob: policy"});
    } else {
      for (const auto& [pattern, policy] : m.items()) {
        out.type_policies.push_back(
            {pattern, readPolicy(r, "buffer.quota_policy_by_type." + pattern, policy)});
      }
    }
  }
  out.dedup_window = r.duration(buffer, p, "dedup_window", out.dedup_window);
  out.disk_min_free_bytes = r.size(buffer, p, "disk_min_free", out.disk_min_free_bytes);
  out.disk_resume_free_bytes = r.size(buffer, p, "disk_resume_free", out.disk_resume_free_bytes);
  if (out.disk_resume_free_bytes < out.disk_min_free_bytes) {
    r.errors().push_back({"buffer.disk_resume_free", "must be at least buffer.disk_min_free"});
  }
  if (out.write_buffer_bytes < (64 << 10)) {
    r.errors().push_back({"buffer.write_buffer", "must be at least 64KiB"});
  }
}

void readDelivery(Reader& r, const nlohmann::json& p, const std::string& path, InstanceSpec& spec) {
  if (p.contains("match")) {
    const auto& m = p["match"];
    if (!m.is_array()) {
      r.errors().push_back(
          {path + ".match", "must be a list of event type globs, e.g. [\"store.pos.*\"]"});
    } else {
      for (size_t i = 0; i < m.size(); ++i) {
        if (m[i].is_string())
          spec.delivery.match.push_back(m[i].get<std::string>());
        else
          r.errors().push_back({path + ".match[" + std::to_string(i) + "]", "must be a string"});
      }
    }
  }
  if (!p.contains("delivery") || p["delivery"].is_null()) return;
  const auto& d = p["delivery"];
  const std::string dp = path + ".delivery";
  if (!d.is_object()) {
    r.errors().push_back({dp, "must be a mapping"});
    return;
  }
  spec.delivery_json = d;
  r.unknownKeys(d, dp, {"max_events", "max_bytes", "linger", "backoff_initial", "backoff_max"});
  spec.delivery.max_batch_events = static_cast<size_t>(
      r.integer(d, dp, "max_events", int64_t(spec.delivery.max_batch_events), 1, 100'000));
  spec.delivery.max_batch_bytes = r.size(d, dp, "max_bytes", spec.delivery.max_batch_bytes);
  spec.delivery.linger = r.duration(d, dp, "linger", spec.delivery.linger);
  spec.delivery.initial_backoff =
      r.duration(d, dp, "backoff_initial", spec.delivery.initial_backoff);
  spec.delivery.max_backoff = r.duration(d, dp, "backoff_max", spec.delivery.max_backoff);
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
    r.unknownKeys(p, path, {"name", "plugin", "library", "enabled", "config", "match", "delivery"});
    InstanceSpec spec;
    spec.path = path;
    spec.base_dir = r.baseDir();
    spec.plugin = r.string(p, path, "plugin", "", true);
    spec.name = r.string(p, path, "name", spec.plugin);
    if (!validInstanceName(spec.name)) {
      r.errors().push_back({path + ".name", "'" + spec.name + "' " + kInstanceNameRule});
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
    readDelivery(r, p, path, spec);
    if (p.contains("match")) spec.delivery_json["match"] = p["match"];
    out.push_back(std::move(spec));
  }
}

}  // namespace

bool validInstanceName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  // A leading '_' is the core's own readers' (the remote-request reader's cursor): a sink
  // named so would share their cursors and be taken for one of them by retention.
  if (n.front() == '_' || n.front() == '-') return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::optional<GatewayConfig> parseConfig(const std::string& yaml_text,
                                         const std::filesystem::path& base_dir,
                                         ConfigErrors& errors, GatewayConfig* partial) {
  const size_t before = errors.size();
  // Bounded and strict before anything is built: no aliases, depth, duplicate keys, one
  // document, size (see yaml_guard.hpp).
  if (auto refused = checkYamlShape(yaml_text)) {
    errors.push_back(*refused);
    return std::nullopt;
  }
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
  r.unknownKeys(root, "",
                {"store_id", "data_dir", "plugin_dirs", "log", "buffer", "admin", "plugin_trust",
                 "memory_budget", "plugins"});
  GatewayConfig cfg;
  cfg.store_id = r.string(root, "", "store_id", "", true);
  if (root.contains("store_id") && root["store_id"].is_string() && cfg.store_id.empty()) {
    errors.push_back({"store_id", "must not be empty"});
  } else if (const std::string why = storeIdProblem(cfg.store_id); !why.empty()) {
    errors.push_back({"store_id", why});
  }
  cfg.data_dir = r.pathValue(r.string(root, "", "data_dir", "", true));
  cfg.memory_budget = r.size(root, "", "memory_budget", cfg.memory_budget);
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
  readAdmin(r, root.value("admin", nlohmann::json()), cfg.admin);
  if (cfg.admin.tokens_file.empty()) cfg.admin.tokens_file = cfg.data_dir / "admin-tokens";
  if (cfg.admin.audit_file.empty()) cfg.admin.audit_file = cfg.data_dir / "audit.log";
  readTrust(r, root.value("plugin_trust", nlohmann::json()), cfg.plugin_trust);
  readPlugins(r, root.value("plugins", nlohmann::json()), cfg.plugins);
  if (errors.size() != before) {
    if (partial != nullptr) *partial = std::move(cfg);
    return std::nullopt;
  }
  return cfg;
}

std::optional<GatewayConfig> loadConfigFile(const std::filesystem::path& file, ConfigErrors& errors,
                                            GatewayConfig* partial) {
  std::ifstream in(file);
  if (!in) {
    errors.push_back({file.string(), "cannot be read (does it exist, and may this user read it?)"});
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  const auto abs = std::filesystem::absolute(file, ec);
  auto cfg = parseConfig(text.str(), abs.parent_path(), errors, partial);
  if (cfg) cfg->source_file = abs;
  if (partial != nullptr) partial->source_file = abs;
  return cfg;
}

}  // namespace storegate
