// What the running gateway should be: the config file plus the changes made through the
// admin API or remote requests since (an uploaded build swapped to, a config patched, an
// instance stopped, added or removed). Those changes are kept under data_dir/control/ and
// survive restarts and power cuts, so a reboot never silently undoes an upgrade.
//
// Each change to an instance remembers the hash of the file's spec it was made on. When
// the file's spec of that instance changes (an edit and SIGHUP, or PUT /v1/config), the
// file is newer than the change: the change is dropped and the file wins, with a log line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/gateway_config.hpp"

namespace storegate::control {

struct InstanceChange {
  std::string base_hash;                 // the file's spec when the change was made
  std::optional<nlohmann::json> config;  // replaces the file's config
  std::optional<std::string> library;    // the build swapped to
  std::optional<std::string> previous;   // the build it replaced (rollback goes there)
  bool stopped = false;                  // stopped by an operator
  bool removed = false;                  // removed through the API
  std::optional<nlohmann::json> added;   // {plugin, config, match, library}: not in the file

  [[nodiscard]] bool empty() const {
    return !config && !library && !previous && !stopped && !removed && !added;
  }
};

struct DesiredState {
  uint64_t version = 0;  // +1 with every change persisted
  std::map<std::string, InstanceChange> instances;

  [[nodiscard]] nlohmann::json toJson() const;
  // Strict: a file that is not what toJson writes is refused with what is wrong.
  static Status fromJson(const nlohmann::json& j, DesiredState& out);
};

// The hash that identifies one instance spec of the file (name, plugin, library, enabled,
// config, delivery).
[[nodiscard]] std::string specHash(const InstanceSpec& spec);

// The config to run: `file` with `desired`'s changes applied. Changes whose base no longer
// matches the file are removed from `desired` and reported in `dropped` ("name: why").
[[nodiscard]] GatewayConfig effectiveConfig(const GatewayConfig& file, DesiredState& desired,
                                            std::vector<std::string>& dropped);

// data_dir/control/desired.json, written durably (fsync of file and directory).
class DesiredStateFile {
 public:
  explicit DesiredStateFile(std::filesystem::path data_dir);
  // A missing file is an empty state. A damaged one is an error that says where and what
  // to do; nothing is overwritten.
  Status load(DesiredState& out) const;
  Status save(const DesiredState& state) const;
  [[nodiscard]] const std::filesystem::path& path() const { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace storegate::control
