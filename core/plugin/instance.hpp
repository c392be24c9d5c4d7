// One plugin instance and its lifecycle as an explicit state machine:
//   loaded → created → running → draining → stopped → destroyed → unloaded | retired
// with `failed` reachable from create, start and stop. Every call into the plugin is
// guarded: a status, a message or an exception from the plugin leaves the instance
// `failed` with the reason, and never escapes into the daemon.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>

#include "plugin/host_context.hpp"
#include "plugin/library.hpp"

namespace storegate {

enum class InstanceState {
  Loaded,
  Created,
  Running,
  Draining,
  Stopped,
  Destroyed,
  Unloaded,
  Retired,
  Failed
};

[[nodiscard]] const char* toString(InstanceState s);
[[nodiscard]] bool isAllowedTransition(InstanceState from, InstanceState to);

class PluginInstance {
 public:
  PluginInstance(std::string name, std::shared_ptr<PluginLibrary> library, ResolvedConfig config,
                 HostServices services);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  // loaded → created, or → failed.
  Status create();
  // created → running; on failure the plugin object is destroyed and the state is failed.
  Status start();
  // running → draining → stopped. A stop that errors or overruns `deadline` (plus a grace)
  // leaves the instance failed and its library marked unsafe to unload.
  Status stop(std::chrono::milliseconds deadline);
  // created/stopped → destroyed (failed stays failed). Idempotent.
  void destroy();
  // Drops this instance's hold on its library; the last holder unloads or retires it.
  // Returns the outcome text ("unloaded", "retired: <why>", or "shared" if others hold it).
  std::string releaseLibrary();

  // Applies `config` through the plugin's reconfigure. UNSUPPORTED when it has none.
  Status reconfigure(const ResolvedConfig& config);
  // Sinks: the delivery worker's call. Never throws.
  sg_status deliver(std::span<const sg_event> events, sg_delivery_result& result);
  [[nodiscard]] sg_health_level health();
  // Asks the running plugin a query (sg_plugin_vtable.query); on success fills
  // `media_type` and `body`. UNSUPPORTED when the plugin has no query or not this one,
  // CLOSED when it is not running. Safe against a concurrent stop and destroy.
  Status query(std::string_view name, std::string_view payload, std::string& media_type,
               std::string& body);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const PluginInfo& info() const { return info_; }
  [[nodiscard]] const std::filesystem::path& libraryPath() const { return library_path_; }
  [[nodiscard]] const ResolvedConfig& config() const { return config_; }
  [[nodiscard]] const std::shared_ptr<PluginLibrary>& library() const { return library_; }
  [[nodiscard]] InstanceState state() const;
  [[nodiscard]] std::string lastError() const;
  [[nodiscard]] uint64_t emitted() const { return ctx_->emitted.load(); }
  [[nodiscard]] uint64_t callsAfterStop() const { return ctx_->calls_after_close.load(); }
  [[nodiscard]] std::map<std::string, double> metrics() const { return ctx_->metrics(); }

 private:
  void transition(InstanceState to);
  // Runs one call into the plugin; converts exceptions into SG_ERR_FAILED.
  template <typename Fn>
  sg_status guarded(const char* what, Fn&& fn);
  Status fail(const char* what, sg_status status);

  const std::string name_;
  std::shared_ptr<PluginLibrary> library_;
  const PluginInfo info_;  // copied: outlives the library
  const std::filesystem::path library_path_;
  const sg_plugin_vtable vtable_;
  ResolvedConfig config_;
  std::shared_ptr<sg_host_ctx> ctx_;
  sg_instance* instance_ = nullptr;

  std::shared_mutex calls_mu_;  // queries share it; destroy takes it alone
  mutable std::mutex mu_;
  InstanceState state_ = InstanceState::Loaded;
  std::string last_error_;
};

}  // namespace storegate
