// The one owner of the running state. Every change to the running gateway — SIGHUP, the
// admin API, remote requests — is submitted here and runs on one executor thread, one after
// another; nothing else calls the plugin manager's mutating methods. A change validates,
// applies as differences, persists what it changed (DesiredState) and reports.
//
// Threading: execute() may be called from any thread and blocks until the change ran (on
// the executor thread itself it runs inline). Read models (running(), version()) may be
// read from any thread at any time. busyFor() tells the watchdog whether the executor is
// making progress.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.hpp"
#include "config/gateway_config.hpp"
#include "control/desired_state.hpp"
#include "plugin/manager.hpp"

namespace storegate::control {

class ControlPlane {
 public:
  // `file` is the config file as loaded and validated. Nothing runs until boot().
  ControlPlane(PluginManager& plugins, GatewayConfig file);
  ~ControlPlane();  // shutdown()
  // Runs what is queued, refuses what comes after (its caller's future throws
  // std::future_error), joins the executor. Idempotent.
  void shutdown();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Loads the desired state and starts every instance of the effective config. A build
  // uploaded earlier that fails to start now falls back to the build it replaced (then to
  // the file's), and says so. Only a damaged desired-state file is an error.
  Status boot();
  // Before boot(): instances the crash-loop breaker blamed (see plugin/crash_journal.hpp)
  // are kept `broken`, not started; `journal` records that, and their next start.
  void setBroken(std::set<std::string> names, std::filesystem::path journal, std::string reason);

  // Runs `change` on the executor and returns its result. At most one change runs at a time,
  // in the order submitted.
  template <typename Fn>
  auto execute(std::string_view what, Fn&& change) -> decltype(change()) {
    using Result = decltype(change());
    if (std::this_thread::get_id() == executor_id_.load()) return change();
    auto task = std::make_shared<std::packaged_task<Result()>>(std::forward<Fn>(change));
    std::future<Result> done = task->get_future();
    enqueue(std::string(what), [task] { (*task)(); });
    return done.get();
  }
  // Queues a reload of the config file and returns at once (the signal loop must never run
  // a change itself). `load` reads and validates the file on the executor.
  void submitReload(std::function<std::optional<GatewayConfig>(ConfigErrors&)> load,
                    std::function<void()> also);

  // --- Called only inside execute() -------------------------------------------------------
  // The plugin manager, to change what runs. Off the executor it is a broken invariant (a
  // second mutation path): the daemon stops once with that message.
  [[nodiscard]] PluginManager& manager();
  // Makes the running gateway match the file `next` plus the changes kept: instances added,
  // removed, reconfigured or swapped. Returns what failed ("<instance>: <why>"). When
  // something failed and not `keep_on_failure`, the file and the kept changes stay as they
  // were (the caller applies the previous file again to undo what did apply).
  std::vector<std::string> applyFile(const GatewayConfig& next, bool keep_on_failure);
  // Whether the config file names an instance (enabled or not).
  [[nodiscard]] bool inFile(const std::string& name) const;
  // Records a change made to instance `name` through the API and persists it (version + 1).
  Status record(const std::string& name, const std::function<void(InstanceChange&)>& edit);
  // The spec the instance runs with now (file + changes); nullopt for an unknown instance.
  [[nodiscard]] std::optional<InstanceSpec> runningSpec(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> previousBuild(const std::string& name) const;
  // The config file as last loaded (what a failed PUT /v1/config goes back to).
  [[nodiscard]] const GatewayConfig& file() const { return file_; }

  // --- Read models, any thread ------------------------------------------------------------
  [[nodiscard]] GatewayConfig running() const;
  [[nodiscard]] uint64_t version() const { return version_.load(); }
  // A hash of what runs: the file's specs and the changes kept.
  [[nodiscard]] std::string configHash() const;
  // How long the change now running has run (zero when idle).
  [[nodiscard]] std::chrono::milliseconds busyFor() const;
  // Changes run so far; a caller answered by a change sees it counted, or changing().
  [[nodiscard]] uint64_t changesApplied() const { return applied_.load(); }
  [[nodiscard]] bool changing() const { return busy_since_ns_.load() != 0; }

 private:
  struct Task {
    std::string what;
    std::function<void()> run;
  };
  void enqueue(std::string what, std::function<void()> run);
  void loop();
  std::vector<std::string> converge(const GatewayConfig& effective);
  Status startWithFallback(const InstanceSpec& spec);
  void setRunning(GatewayConfig effective);

  PluginManager& plugins_;
  DesiredStateFile store_;
  // Executor-only state: the file as last loaded and the changes kept on top of it.
  GatewayConfig file_;
  DesiredState desired_;
  bool boot_changed_ = false;  // a fallback at boot changed the kept changes
  std::set<std::string> broken_;
  std::filesystem::path crash_journal_;
  std::string broken_reason_;

  mutable Mutex mu_;
  GatewayConfig running_ SG_GUARDED_BY(mu_);
  std::string hash_ SG_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};
  std::atomic<uint64_t> applied_{0};
  std::atomic<int64_t> busy_since_ns_{0};

  Mutex queue_mu_;
  std::condition_variable_any queue_cv_;
  std::deque<Task> queue_ SG_GUARDED_BY(queue_mu_);
  bool stopping_ SG_GUARDED_BY(queue_mu_) = false;
  std::atomic<std::thread::id> executor_id_{};
  std::thread executor_;
};

}  // namespace storegate::control
