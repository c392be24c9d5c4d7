#include "control/control_plane.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "common/log.hpp"
#include "common/thread_guard.hpp"
#include "common/time.hpp"
#include "package/signing.hpp"
#include "plugin/crash_journal.hpp"

namespace storegate::control {

namespace {
int64_t steadyNs() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}
}  // namespace

ControlPlane::ControlPlane(PluginManager& plugins, GatewayConfig file)
    : plugins_(plugins), store_(file.data_dir), file_(std::move(file)) {
  executor_ = std::thread([this] {
    executor_id_.store(std::this_thread::get_id());
    // Each change is guarded on its own (below); the loop itself failing is a broken
    // invariant, and with it every later change would wait forever: stop, once, loudly.
    if (!runGuarded("control", [this] { loop(); })) {
      logError("control", "the control plane's executor failed; stopping the daemon");
      std::abort();
    }
  });
}

PluginManager& ControlPlane::manager() {
  if (std::this_thread::get_id() != executor_id_.load()) {
    logError("control", "the plugin manager was changed outside the control plane's executor");
    std::abort();
  }
  return plugins_;
}

ControlPlane::~ControlPlane() {
  shutdown();
}

void ControlPlane::shutdown() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (executor_.joinable() && std::this_thread::get_id() != executor_.get_id()) executor_.join();
}

void ControlPlane::enqueue(std::string what, std::function<void()> run) {
  {
    MutexLock lock(queue_mu_);
    // After shutdown began the task is dropped: its caller's future reports a broken
    // promise (the admin listener, the only late caller, is stopped before this).
    if (stopping_) return;
    queue_.push_back({std::move(what), std::move(run)});
  }
  queue_cv_.notify_one();
}

void ControlPlane::loop() SG_NO_THREAD_SAFETY_ANALYSIS {
  for (;;) {
    Task task;
    {
      std::unique_lock<Mutex> lock(queue_mu_);
      queue_cv_.wait(
          lock, [this]() SG_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    busy_since_ns_.store(steadyNs() | 1);
    // A change that throws is reported to its caller through its future (packaged_task);
    // one that escapes anyway is logged here and the executor goes on with the next.
    runGuarded("control: " + task.what, task.run);
    // Counted before it stops being busy: whoever sees it idle sees the count too.
    applied_.fetch_add(1);
    busy_since_ns_.store(0);
  }
}

std::chrono::milliseconds ControlPlane::busyFor() const {
  const int64_t since = busy_since_ns_.load();
  if (since == 0) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(steadyNs() - since));
}

void ControlPlane::submitReload(std::function<std::optional<GatewayConfig>(ConfigErrors&)> load,
                                std::function<void()> also) {
  enqueue("reload", [this, load = std::move(load), also = std::move(also)] {
    // Keys and tokens first, whatever the config says: a revoked token must stop working
    // even when the config file has an error, and a newly trusted key must count for the
    // validation that follows.
    if (also) also();
    ConfigErrors errors;
    auto next = load(errors);
    if (!next) {
      for (const auto& e : errors)
        logError("config", "reload refused: nothing changed", {{"error", e.text()}});
      return;
    }
    for (const std::string& failure : applyFile(*next, /*keep_on_failure=*/true))
      logError("config", "part of the reload failed", {{"error", failure}});
  });
}

GatewayConfig ControlPlane::running() const {
  MutexLock lock(mu_);
  return running_;
}

std::string ControlPlane::configHash() const {
  MutexLock lock(mu_);
  return hash_;
}

void ControlPlane::setRunning(GatewayConfig effective) {
  std::string text;
  for (const InstanceSpec& s : effective.plugins) text += specHash(s) + "\n";
  const std::string hash = package::sha256Hex(text).substr(0, 16);
  MutexLock lock(mu_);
  running_ = std::move(effective);
  hash_ = hash;
}

std::optional<InstanceSpec> ControlPlane::runningSpec(const std::string& name) const {
  MutexLock lock(mu_);
  for (const InstanceSpec& s : running_.plugins)
    if (s.name == name) return s;
  return std::nullopt;
}

std::optional<std::string> ControlPlane::previousBuild(const std::string& name) const {
  const auto it = desired_.instances.find(name);
  if (it == desired_.instances.end()) return std::nullopt;
  return it->second.previous;
}

void ControlPlane::setBroken(std::set<std::string> names, std::filesystem::path journal,
                             std::string reason) {
  broken_ = std::move(names);
  crash_journal_ = std::move(journal);
  broken_reason_ = std::move(reason);
}

Status ControlPlane::startWithFallback(const InstanceSpec& spec) {
  if (broken_.count(spec.name) != 0) {
    // Sticky until an operator starts it: the verdict outlives the crash window.
    crash::mark(crash_journal_, "broken", spec.name, wallClockNs() / 1'000'000'000)
        .ignoreError("the crashes themselves stay in the journal and give the same verdict");
    logError("control",
             "instance left broken: the daemon died repeatedly in its code; the rest of the store "
             "runs. Fix or replace its build, then start it (POST /v1/plugins/" +
                 spec.name + "/start)",
             {{"instance", spec.name}, {"reason", broken_reason_}});
    return plugins_.addBroken(spec, broken_reason_, crash_journal_);
  }
  const auto it = desired_.instances.find(spec.name);
  if (it != desired_.instances.end() && it->second.stopped) return plugins_.addStopped(spec);
  Status s = plugins_.add(spec);
  if (s.ok() || it == desired_.instances.end() || !it->second.library) return s;
  // The build an operator uploaded does not start (any more): fall back to the one it
  // replaced, else to the file's, so the store keeps running; say so, and keep that.
  InstanceChange& change = it->second;
  const std::string failed_build = *change.library;
  std::vector<std::optional<std::string>> fallbacks = {change.previous, std::nullopt};
  for (const auto& fallback : fallbacks) {
    InstanceSpec other = spec;
    other.library = fallback.value_or("");
    if (fallback) {
      if (*fallback == failed_build) continue;
    } else {
      for (const InstanceSpec& f : file_.plugins)
        if (f.name == spec.name) other.library = f.library;
    }
    // update() restarts the failed entry without releasing a sink's retention.
    const Status again = plugins_.update(other);
    logWarn("control", "an uploaded build failed to start; fell back to an earlier build",
            {{"instance", spec.name},
             {"failed_build", failed_build},
             {"error", s.message},
             {"now_running", other.library.empty() ? "the config file's" : other.library.string()},
             {"started", again.ok() ? "true" : "false"}});
    boot_changed_ = true;
    if (fallback) {
      change.library = fallback;
      change.previous = failed_build;
    } else {
      change.library.reset();
      change.previous = failed_build;
    }
    if (again.ok()) return again;
    s = again;
  }
  return s;
}

Status ControlPlane::boot() {
  try {
    if (Status s = store_.load(desired_); !s.ok()) return s;
  } catch (const std::exception& e) {
    return Status::invalid(store_.path().string() + " cannot be read (" + e.what() +
                           "); move it aside to start from the config file alone");
  }
  version_.store(desired_.version);
  std::vector<std::string> dropped;
  GatewayConfig effective = effectiveConfig(file_, desired_, dropped);
  for (const std::string& d : dropped) logWarn("control", "kept change dropped", {{"why", d}});
  size_t failed = 0, enabled = 0;
  for (const InstanceSpec& spec : effective.plugins) {
    if (!spec.enabled) continue;
    ++enabled;
    if (!startWithFallback(spec).ok()) ++failed;
  }
  // A fallback changed what runs: the effective config follows what the manager runs.
  for (InstanceSpec& spec : effective.plugins)
    if (auto running = plugins_.spec(spec.name)) spec.library = running->library;
  if (!dropped.empty() || boot_changed_) {
    ++desired_.version;
    store_.save(desired_).ignoreError("the running state is right; the next change saves again");
  }
  version_.store(desired_.version);
  setRunning(std::move(effective));
  logInfo("control", "started",
          {{"running", std::to_string(enabled - failed)},
           {"failed", std::to_string(failed)},
           {"desired_version", std::to_string(desired_.version)},
           {"kept_changes", std::to_string(desired_.instances.size())}});
  return Status::success();
}

Status ControlPlane::record(const std::string& name,
                            const std::function<void(InstanceChange&)>& edit) {
  InstanceChange& change = desired_.instances[name];
  std::string base;
  for (const InstanceSpec& f : file_.plugins)
    if (f.name == name) base = specHash(f);
  if (change.empty()) change.base_hash = base;
  edit(change);
  if (change.empty() || (change.removed && change.added)) desired_.instances.erase(name);
  ++desired_.version;
  version_.store(desired_.version);
  // The running config follows the kept changes.
  std::vector<std::string> dropped;
  DesiredState copy = desired_;
  setRunning(effectiveConfig(file_, copy, dropped));
  if (Status s = store_.save(desired_); !s.ok())
    return Status::failed("applied, but not kept across a restart: " + s.message);
  return Status::success();
}

std::vector<std::string> ControlPlane::applyFile(const GatewayConfig& next_file,
                                                 bool keep_on_failure) {
  const GatewayConfig before = running();
  std::vector<std::string> failures;
  if (next_file.store_id != before.store_id || next_file.data_dir != before.data_dir ||
      next_file.plugin_dirs != before.plugin_dirs ||
      next_file.buffer.backend != before.buffer.backend ||
      next_file.buffer.durability != before.buffer.durability ||
      next_file.plugin_trust.require_signature != before.plugin_trust.require_signature) {
    logWarn("control",
            "store_id, data_dir, plugin_dirs, buffer and plugin_trust changes take effect on "
            "restart; kept the running values");
  }
  if (auto err = Logger::instance().configure(next_file.log)) logError("control", *err);
  GatewayConfig file = next_file;
  file.store_id = before.store_id;
  file.data_dir = before.data_dir;
  file.plugin_dirs = before.plugin_dirs;
  file.buffer = before.buffer;
  file.plugin_trust = before.plugin_trust;
  // Worked on copies: a refused apply (PUT /v1/config rolls back) must not lose the kept
  // changes that the new file would have overridden.
  DesiredState next_desired = desired_;
  std::vector<std::string> dropped;
  GatewayConfig effective = effectiveConfig(file, next_desired, dropped);
  failures = converge(effective);
  setRunning(effective);
  if (!failures.empty() && !keep_on_failure) return failures;
  file_ = std::move(file);
  for (const std::string& d : dropped) logInfo("control", "kept change dropped", {{"why", d}});
  if (next_desired.instances.size() != desired_.instances.size()) {
    desired_ = std::move(next_desired);
    ++desired_.version;
    version_.store(desired_.version);
    if (Status s = store_.save(desired_); !s.ok())
      failures.push_back("desired state: " + s.message);
  }
  return failures;
}

bool ControlPlane::inFile(const std::string& name) const {
  for (const InstanceSpec& s : file_.plugins)
    if (s.name == name) return true;
  return false;
}

std::vector<std::string> ControlPlane::converge(const GatewayConfig& next) {
  const GatewayConfig current = running();
  std::vector<std::string> failures;
  std::map<std::string, const InstanceSpec*> wanted;
  for (const InstanceSpec& s : next.plugins)
    if (s.enabled) wanted[s.name] = &s;
  size_t removed = 0, added = 0, changed = 0;
  for (const std::string& name : plugins_.names()) {
    if (wanted.count(name) != 0) continue;
    if (Status st = plugins_.remove(name); !st.ok()) failures.push_back(name + ": " + st.message);
    ++removed;
  }
  const std::vector<std::string> present_list = plugins_.names();
  const std::set<std::string> present(present_list.begin(), present_list.end());
  for (const auto& [name, spec] : wanted) {
    if (present.count(name) == 0) {
      if (Status st = plugins_.add(*spec); !st.ok()) failures.push_back(name + ": " + st.message);
      ++added;
      continue;
    }
    const auto old = std::find_if(current.plugins.begin(), current.plugins.end(),
                                  [&n = name](const InstanceSpec& s) { return s.name == n; });
    if (old == current.plugins.end() || !(*old == *spec)) {
      if (Status st = plugins_.update(*spec); !st.ok())
        failures.push_back(name + ": " + st.message);
      ++changed;
    }
  }
  logInfo("control", "config reloaded",
          {{"added", std::to_string(added)},
           {"removed", std::to_string(removed)},
           {"changed", std::to_string(changed)},
           {"failed", std::to_string(failures.size())},
           {"desired_version", std::to_string(version_.load())}});
  return failures;
}

}  // namespace storegate::control
