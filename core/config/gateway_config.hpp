// The gateway's configuration as loaded from YAML, and its loader. Paths in the file are
// relative to the file's own directory.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_options.hpp"
#include "buffer/buffer_options.hpp"
#include "common/log.hpp"
#include "config/config_error.hpp"
#include "delivery/delivery_options.hpp"

namespace storegate {

// One plugin instance as configured.
struct InstanceSpec {
  std::string name;               // unique, e.g. "front_door"
  std::string plugin;             // the plugin type, e.g. "hello"
  std::filesystem::path library;  // optional explicit .so; otherwise found by name
  bool enabled = true;
  nlohmann::json config = nlohmann::json::object();
  DeliveryOptions delivery;        // sinks: batching, routing (`match`) and retry
  nlohmann::json delivery_json;    // as written, to notice changes on reload
  std::string path;                // where it sits in the file, for errors: "plugins[2]"
  std::filesystem::path base_dir;  // the config file's directory, for relative paths

  bool operator==(const InstanceSpec& o) const {
    return name == o.name && plugin == o.plugin && library == o.library && enabled == o.enabled &&
           config == o.config && delivery_json == o.delivery_json;
  }
};

// Which plugin builds may load. The issue's `plugins.require_signature` lives here because
// `plugins` is the list of instances.
struct PluginTrustOptions {
  bool require_signature = false;  // the .deb's config turns it on
  std::filesystem::path trusted_keys = "/etc/storegate/trusted-keys";  // *.pub (Ed25519 PEM)
};

struct GatewayConfig {
  std::string store_id;
  std::filesystem::path data_dir;
  std::vector<std::filesystem::path> plugin_dirs;
  LogOptions log;
  BufferOptions buffer;
  AdminOptions admin;
  PluginTrustOptions plugin_trust;
  // The daemon warns (once per episode) when its resident memory passes this, naming the
  // instances busiest since the last check; 0 turns the check off. The systemd unit's
  // MemoryMax is the hard stop.
  uint64_t memory_budget = 256ull << 20;
  std::vector<InstanceSpec> plugins;
  std::filesystem::path source_file;
};

// Parses YAML text. `base_dir` resolves relative paths. Every problem found is appended
// to `errors`; returns nullopt when there was any. When `partial` is given and there were
// errors, it receives what could be read (so the plugins' checks can run too and every
// error is listed at once).
// An instance name: 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit
// (names starting with '_' belong to the core's internal readers).
inline constexpr const char* kInstanceNameRule =
    "must be 1-64 characters of a-z, 0-9, _ and -, starting with a letter or a digit";
[[nodiscard]] bool validInstanceName(std::string_view name);

[[nodiscard]] std::optional<GatewayConfig> parseConfig(const std::string& yaml_text,
                                                       const std::filesystem::path& base_dir,
                                                       ConfigErrors& errors,
                                                       GatewayConfig* partial = nullptr);
[[nodiscard]] std::optional<GatewayConfig> loadConfigFile(const std::filesystem::path& file,
                                                          ConfigErrors& errors,
                                                          GatewayConfig* partial = nullptr);

}  // namespace storegate
