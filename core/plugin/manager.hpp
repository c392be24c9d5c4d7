// The plugin host: finds plugin libraries, validates instance configs against what each
// plugin declares, runs instances (and a delivery worker for each sink), applies config
// changes, and hot-swaps a running instance to a new build of its library.
// All lifecycle operations are serialized; queries may run concurrently with them.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "config/gateway_config.hpp"
#include "delivery/sink_worker.hpp"
#include "package/trust_policy.hpp"
#include "plugin/instance.hpp"

namespace storegate {

struct InstanceReport {
  std::string name;
  std::string plugin;
  std::string version;
  std::string library;
  std::string state;
  std::string kinds;
  std::string last_error;
  std::string health;
  uint64_t emitted = 0;
  uint64_t delivered = 0;
  uint64_t dead_lettered = 0;
  uint64_t calls_after_stop = 0;
  int64_t last_delivery_unix_ns = 0;      // sinks: the last accepted deliver call; 0 = none yet
  uint64_t consecutive_failures = 0;      // sinks: deliver calls failed in a row
  nlohmann::json config;                  // secrets masked
  std::vector<std::string> secret_texts;  // the secret values themselves, to mask elsewhere
  std::map<std::string, double> metrics;  // what the plugin reported through host->metric
};

struct SwapReport {
  bool swapped = false;
  bool rolled_back = false;  // the new build failed to start; the old one runs again
  std::string error;
  std::string old_library;
  std::string old_library_fate;  // "unloaded", "retired: <why>", "shared"
};

struct RetiredLibrary {
  std::string path;
  std::string reason;
};

class PluginManager {
 public:
  // `trust` is the check every library passes before it is opened — by add, validate,
  // update, hot swap and openLibrary alike — so no caller can skip it. Null only where no
  // plugin code may run with a policy (tests, benchmarks); the daemon always passes one.
  PluginManager(std::vector<std::filesystem::path> plugin_dirs, HostServices services,
                EventBuffer& buffer, std::shared_ptr<const package::TrustPolicy> trust);
  ~PluginManager();  // stops everything

  // Opens a library through the policy, for inspection (listing, schemas); null and
  // `error` when the policy refuses it or it does not load.
  std::shared_ptr<PluginLibrary> openLibrary(const std::filesystem::path& path, std::string& error);

  // Plugin name → library file, from `<name>.so` files in the plugin directories (the
  // first directory wins).
  [[nodiscard]] std::map<std::string, std::filesystem::path> discover() const;

  // Checks an instance spec without running anything: the library loads, speaks our ABI,
  // is the plugin named, and the config satisfies its properties.
  [[nodiscard]] ConfigErrors validate(const InstanceSpec& spec);

  // Loads, creates and starts an instance. A plugin that fails is kept, in state
  // `failed` with its reason; the error is also returned.
  Status add(const InstanceSpec& spec);
  // Keeps an instance configured but not running (state "stopped"), as stopInstance leaves
  // one: after a restart, an instance an operator stopped stays stopped. A sink's backlog
  // stays held for it. Its library is checked and opened only to learn its kind.
  Status addStopped(const InstanceSpec& spec);
  // Keeps an instance the crash-loop breaker blamed for repeated deaths of the daemon
  // stopped, in state "broken" with `reason`, until it is started again (any path); that
  // start appends "clear" to `journal`, so the next boot tries it too.
  Status addBroken(const InstanceSpec& spec, const std::string& reason,
                   const std::filesystem::path& journal);
  // The spec an instance was added or last updated with; nullopt when there is none.
  [[nodiscard]] std::optional<InstanceSpec> spec(const std::string& name) const;
  // Stops, destroys and unloads an instance; a sink's unacknowledged events no longer
  // hold back retention (it is gone from the config).
  Status remove(const std::string& name);
  // Applies a changed spec: through reconfigure when every change is reloadable and the
  // plugin supports it, by hot swap when only the library changed, else by restart.
  Status update(const InstanceSpec& spec);
  // Stops a running instance but keeps it (state "stopped"; a sink's backlog stays held).
  // SG_ERR_INVALID when it is not running.
  Status stopInstance(const std::string& name);
  // Starts a stopped or failed instance again from its spec. SG_ERR_INVALID when running.
  Status startInstance(const std::string& name);
  // Blue/green to a new build of the instance's plugin at `library` (a new path).
  SwapReport hotSwap(const std::string& name, const std::filesystem::path& library);

  // Stops sources, waits up to `drain` for sinks to deliver what is buffered, stops sinks.
  void stopAll(std::chrono::milliseconds drain = std::chrono::milliseconds(0));

  // Asks instance `name` a query (see PluginInstance::query). NOT_FOUND for no such instance.
  Status query(const std::string& name, std::string_view query, std::string_view payload,
               std::string& media_type, std::string& body);

  [[nodiscard]] std::vector<InstanceReport> list();
  // Events emitted so far per instance, without calling into any plugin (list() asks each
  // for its health): cheap enough for the daemon's main loop.
  [[nodiscard]] std::map<std::string, uint64_t> emittedCounts() const;
  [[nodiscard]] std::optional<InstanceReport> get(const std::string& name);
  [[nodiscard]] std::vector<RetiredLibrary> retired() const;
  [[nodiscard]] std::vector<std::string> names() const;
  // Each sink's deliver latency histogram, labelled with the instance.
  void collectDeliveryLatency(MetricWriter& w) const;

 private:
  struct Entry {
    InstanceSpec spec;
    std::shared_ptr<InstanceSlot> slot = std::make_shared<InstanceSlot>();
    std::unique_ptr<SinkWorker> worker;
  };

  Status removeInstance(const std::string& name, bool release_retention);
  std::optional<std::filesystem::path> locate(const InstanceSpec& spec, std::string& error) const;
  // Builds and creates (not starts) an instance of `lib` for `spec`.
  std::shared_ptr<PluginInstance> build(const InstanceSpec& spec,
                                        std::shared_ptr<PluginLibrary> lib, ConfigErrors& errors);
  void retire(const std::shared_ptr<PluginInstance>& inst, std::string& fate);
  void stopEntry(Entry& entry);
  void waitForSinks(const std::map<std::string, std::unique_ptr<Entry>>& entries,
                    std::chrono::milliseconds drain);
  InstanceReport report(const Entry& entry) const;

  const std::vector<std::filesystem::path> plugin_dirs_;
  const HostServices services_;
  EventBuffer& buffer_;

  std::mutex lifecycle_mu_;  // serializes add/remove/update/swap
  mutable std::mutex mu_;    // guards the maps below
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  // By absolute path (and, under the signature policy, the file's identity).
  std::map<std::string, std::weak_ptr<PluginLibrary>> libraries_;
  std::vector<RetiredLibrary> retired_;
  struct Broken {
    std::string reason;
    std::filesystem::path journal;
  };
  std::map<std::string, Broken> broken_;  // guarded by mu_
  const std::shared_ptr<const package::TrustPolicy> trust_;
};

}  // namespace storegate
