// storegated's top level: owns the buffer, ingest and plugin host built from a config,
// applies config reloads as differences, and shuts down in order.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin/store_summary.hpp"
#include "buffer/ingest.hpp"
#include "buffer/memory_buffer.hpp"
#include "buffer/rocksdb_buffer.hpp"
#include "common/metrics.hpp"
#include "config/gateway_config.hpp"
#include "package/signing.hpp"
#include "plugin/manager.hpp"

namespace storegate {

namespace admin {
class AdminServer;
class RemoteRequests;
}  // namespace admin

class Daemon {
 public:
  // `default_plugin_dirs` apply when the config names none.
  Daemon(GatewayConfig config, std::vector<std::filesystem::path> default_plugin_dirs);
  ~Daemon();

  // Opens the buffer under data_dir and starts every enabled instance. Instances that
  // fail are reported and left failed; only a problem of the daemon itself (the buffer
  // cannot be opened) is an error.
  Status start();
  // Applies `next` as differences: instances added, removed, reconfigured or swapped.
  // Settings that need a restart are reported and left as they are. Returns what failed
  // ("<instance>: <why>"); empty when every part applied. Serialized with other reloads.
  std::vector<std::string> reload(const GatewayConfig& next);
  // The running config, copied under the reload lock (for other threads).
  [[nodiscard]] GatewayConfig configSnapshot() const;
  // Stops sources, lets sinks drain briefly, stops sinks.
  void stop();

  [[nodiscard]] PluginManager& plugins() { return *plugins_; }
  [[nodiscard]] EventBuffer& buffer() { return *buffer_; }
  [[nodiscard]] const GatewayConfig& config() const { return config_; }
  [[nodiscard]] const MetricsRegistry& metrics() const { return metrics_; }
  [[nodiscard]] RocksBuffer* rocks() { return rocks_.get(); }  // null with a memory buffer
  // Trusted plugin signing keys; null unless plugin_trust.require_signature.
  [[nodiscard]] const package::TrustStore* trust() const { return trust_.get(); }
  // Today's store numbers, counted as events are stored (the console's live view).
  [[nodiscard]] admin::StoreSummary& summary() { return summary_; }
  [[nodiscard]] const std::vector<std::filesystem::path>& pluginDirs() const {
    return plugin_dirs_;
  }
  [[nodiscard]] int64_t startedUnixNs() const { return started_ns_; }
  // One log line with the buffer's and the sinks' figures, for operators reading logs.
  void logStats();

 private:
  void collect(MetricWriter& w);
  void collectProcess(MetricWriter& w);

  GatewayConfig config_;
  std::vector<std::filesystem::path> plugin_dirs_;
  std::unique_ptr<MemoryBuffer> memory_;
  std::unique_ptr<RocksBuffer> rocks_;
  EventBuffer* buffer_ = nullptr;
  StateStore* state_ = nullptr;
  admin::StoreSummary summary_;
  std::shared_ptr<package::TrustStore> trust_;  // before ingest_: the observer refers to it
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<PluginManager> plugins_;
  MetricsRegistry metrics_;
  mutable std::mutex reload_mu_;  // guards config_ against reloads from other threads
  int64_t started_ns_ = 0;
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<admin::RemoteRequests> remote_;
};

// The plugin directories a config uses: its own, or the defaults.
[[nodiscard]] std::vector<std::filesystem::path> effectivePluginDirs(
    const GatewayConfig& config, const std::vector<std::filesystem::path>& defaults);

// Loads and fully validates a config file (including every instance's config against its
// plugin's properties). Prints each error as `path: message` to `err`. Returns the config
// when it is valid.
// Checks every enabled instance of a parsed config against its plugin's properties.
[[nodiscard]] bool validatePlugins(const GatewayConfig& config,
                                   const std::vector<std::filesystem::path>& default_plugin_dirs,
                                   ConfigErrors& errors);

[[nodiscard]] std::optional<GatewayConfig> loadAndValidate(
    const std::filesystem::path& file,
    const std::vector<std::filesystem::path>& default_plugin_dirs, ConfigErrors& errors);

}  // namespace storegate
