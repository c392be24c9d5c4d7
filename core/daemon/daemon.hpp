// storegated's top level: owns the buffer, ingest and plugin host built from a config,
// applies config reloads as differences, and shuts down in order.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin/gateway.hpp"
#include "admin/store_summary.hpp"
#include "buffer/ingest.hpp"
#include "buffer/memory_buffer.hpp"
#include "buffer/rocksdb_buffer.hpp"
#include "common/metrics.hpp"
#include "config/gateway_config.hpp"
#include "package/trust_policy.hpp"
#include "plugin/manager.hpp"

namespace storegate {

namespace control {
class ControlPlane;
}  // namespace control

namespace admin {
class AdminServer;
class RemoteRequests;
}  // namespace admin

class Daemon final : public admin::Gateway {
 public:
  // `default_plugin_dirs` apply when the config names none.
  Daemon(GatewayConfig config, std::vector<std::filesystem::path> default_plugin_dirs);
  ~Daemon() override;

  // Opens the buffer under data_dir and starts every enabled instance. Instances that
  // fail are reported and left failed; only a problem of the daemon itself (the buffer
  // cannot be opened) is an error.
  Status start();
  // Applies the config file `next` (plus the changes kept by the control plane) as
  // differences, on the control plane's executor: instances added, removed, reconfigured or
  // swapped. Settings that need a restart are reported and left as they are. Returns what
  // failed ("<instance>: <why>"); empty when every part applied.
  std::vector<std::string> reload(const GatewayConfig& next);
  // The running config (file + kept changes), safe from any thread.
  [[nodiscard]] GatewayConfig configSnapshot() const override;
  // The one owner of the running state: every change goes through it. Set by start().
  [[nodiscard]] control::ControlPlane& control() override { return *control_; }
  // Re-reads what SIGHUP refreshes besides the config: trusted keys and admin tokens.
  void reloadSecrets();
  // For the systemd watchdog: false when the buffer's writer has been in one commit, or any
  // call into the buffer has waited on the disk, for longer than `writer_limit`, or the
  // control executor has been in one change for ten minutes (then the daemon stops pinging
  // and is restarted).
  [[nodiscard]] bool makingProgress(std::chrono::milliseconds writer_limit, std::string& why) const;
  // Stops sources, lets sinks drain briefly, stops sinks.
  void stop();

  [[nodiscard]] PluginManager& plugins() { return *plugins_; }
  [[nodiscard]] EventBuffer& buffer() override { return *buffer_; }
  [[nodiscard]] const GatewayConfig& config() const override { return config_; }
  [[nodiscard]] const MetricsRegistry& metrics() const override { return metrics_; }
  [[nodiscard]] RocksBuffer* rocks() override { return rocks_.get(); }  // null with a memory buffer
  // The plugin signature policy (set once start() has run; keys reload with reloadTrust).
  [[nodiscard]] std::shared_ptr<package::TrustPolicy> trust() const override { return trust_; }
  // Today's store numbers, counted as events are stored (the console's live view).
  [[nodiscard]] admin::StoreSummary& summary() override { return summary_; }
  [[nodiscard]] const std::vector<std::filesystem::path>& pluginDirs() const override {
    return plugin_dirs_;
  }
  [[nodiscard]] int64_t startedUnixNs() const override { return started_ns_; }

  // admin::Gateway's read models, over the plugin manager.
  [[nodiscard]] std::vector<InstanceReport> instances() override { return plugins_->list(); }
  [[nodiscard]] std::optional<InstanceReport> instance(const std::string& name) override {
    return plugins_->get(name);
  }
  [[nodiscard]] std::optional<InstanceSpec> instanceSpec(const std::string& name) const override {
    return plugins_->spec(name);
  }
  [[nodiscard]] ConfigErrors validateInstance(const InstanceSpec& spec) override {
    return plugins_->validate(spec);
  }
  [[nodiscard]] bool checkPlugins(const GatewayConfig& config, ConfigErrors& errors) override;
  Status queryInstance(const std::string& name, std::string_view query, std::string_view payload,
                       std::string& media_type, std::string& body) override {
    return plugins_->query(name, query, payload, media_type, body);
  }
  // One log line with the buffer's and the sinks' figures, for operators reading logs.
  void logStats();
  // Warns once per episode when resident memory passes config's memory_budget (main loop).
  void checkMemory();

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
  std::shared_ptr<package::TrustPolicy> trust_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<PluginManager> plugins_;
  MetricsRegistry metrics_;
  std::unique_ptr<control::ControlPlane> control_;
  int64_t started_ns_ = 0;
  // checkMemory's state (main loop only).
  std::map<std::string, uint64_t> emitted_at_last_check_;
  bool memory_warned_ = false;
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<admin::RemoteRequests> remote_;
};

// The plugin directories a config uses: its own, or the defaults.
[[nodiscard]] std::vector<std::filesystem::path> effectivePluginDirs(
    const GatewayConfig& config, const std::vector<std::filesystem::path>& defaults);

// Checks every enabled instance of a parsed config against its plugin's properties, opening
// libraries only through the signature policy: `running_policy` when it requires signatures
// (a running daemon's), else the config's own. Appends to `errors`; true when none was added.
[[nodiscard]] bool validatePlugins(
    const GatewayConfig& config, const std::vector<std::filesystem::path>& default_plugin_dirs,
    ConfigErrors& errors, std::shared_ptr<const package::TrustPolicy> running_policy = nullptr);

// Loads and fully validates a config file (including every instance's config against its
// plugin's properties). Returns the config when it is valid, else fills `errors`.
[[nodiscard]] std::optional<GatewayConfig> loadAndValidate(
    const std::filesystem::path& file,
    const std::vector<std::filesystem::path>& default_plugin_dirs, ConfigErrors& errors,
    std::shared_ptr<const package::TrustPolicy> running_policy = nullptr);

}  // namespace storegate
