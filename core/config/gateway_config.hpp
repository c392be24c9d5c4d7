// The gateway's configuration as loaded from YAML, and its loader. Paths in the file are
// relative to the file's own directory.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "config/config_error.hpp"

namespace storegate {

enum class Durability { Sync, Batch, None };

struct BufferOptions {
  Durability durability = Durability::Sync;
  std::string backend = "memory";  // the RocksDB backend arrives with the buffer issue
};

// One plugin instance as configured.
struct InstanceSpec {
  std::string name;               // unique, e.g. "front_door"
  std::string plugin;             // the plugin type, e.g. "hello"
  std::filesystem::path library;  // optional explicit .so; otherwise found by name
  bool enabled = true;
  nlohmann::json config = nlohmann::json::object();
  std::string path;                // where it sits in the file, for errors: "plugins[2]"
  std::filesystem::path base_dir;  // the config file's directory, for relative paths

  bool operator==(const InstanceSpec& o) const {
    return name == o.name && plugin == o.plugin && library == o.library && enabled == o.enabled &&
           config == o.config;
  }
};

struct GatewayConfig {
  std::string store_id;
  std::filesystem::path data_dir;
  std::vector<std::filesystem::path> plugin_dirs;
  LogOptions log;
  BufferOptions buffer;
  std::vector<InstanceSpec> plugins;
  std::filesystem::path source_file;
};

// Parses YAML text. `base_dir` resolves relative paths. Every problem found is appended
// to `errors`; returns nullopt when there was any.
[[nodiscard]] std::optional<GatewayConfig> parseConfig(const std::string& yaml_text,
                                                       const std::filesystem::path& base_dir,
                                                       ConfigErrors& errors);
[[nodiscard]] std::optional<GatewayConfig> loadConfigFile(const std::filesystem::path& file,
                                                          ConfigErrors& errors);

}  // namespace storegate
