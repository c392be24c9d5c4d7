// Plugin host operations: add, remove, update, hot swap, and reports.
#include "plugin/manager.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/time.hpp"
#include "plugin/crash_journal.hpp"

namespace storegate {
namespace {
constexpr std::chrono::milliseconds kStopDeadline{5000};
// Deliveries failed in a row before a sink reports `degraded` (with backoff, ~1 minute).
constexpr uint64_t kDegradedAfterFailures = 5;
}  // namespace

PluginManager::PluginManager(std::vector<std::filesystem::path> plugin_dirs, HostServices services,
                             EventBuffer& buffer, std::shared_ptr<const package::TrustPolicy> trust)
    : plugin_dirs_(std::move(plugin_dirs)),
      services_(std::move(services)),
      buffer_(buffer),
      trust_(std::move(trust)) {}

PluginManager::~PluginManager() {
  stopAll();
}

std::map<std::string, std::filesystem::path> PluginManager::discover() const {
  std::map<std::string, std::filesystem::path> found;
  for (const auto& dir : plugin_dirs_) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".so") continue;
      found.emplace(entry.path().stem().string(), entry.path());  // first directory wins
    }
  }
  return found;
}

std::optional<std::filesystem::path> PluginManager::locate(const InstanceSpec& spec,
                                                           std::string& error) const {
  if (!spec.library.empty()) return spec.library;
  const auto all = discover();
  const auto it = all.find(spec.plugin);
  if (it != all.end()) return it->second;
  std::string dirs;
  for (const auto& d : plugin_dirs_) dirs += (dirs.empty() ? "" : ", ") + d.string();
  std::string known;
  for (const auto& [name, path] : all) known += (known.empty() ? "" : ", ") + name;
  error = "no plugin '" + spec.plugin + "' (no " + spec.plugin + ".so in " +
          (dirs.empty() ? std::string("any plugin directory") : dirs) +
          "; available: " + (known.empty() ? std::string("none") : known) + ")";
  return std::nullopt;
}

namespace {
// Reads a library to verify it, from one descriptor whose identity names the cache entry.
// A FIFO or a device is refused before any read can block; size is capped before reading.
bool readLibrary(const std::filesystem::path& path, std::string& bytes, std::string& identity,
                 std::string& error) {
  constexpr off_t kMaxLibraryBytes = 64 << 20;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = path.string() + ": cannot be read: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= kMaxLibraryBytes;
  if (!ok) {
    error = path.string() + ": not a regular file of at most 64 MiB";
  } else {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = path.string() + ": changed or unreadable while it was read";
        ok = false;
      } else {
        done += static_cast<size_t>(n);
      }
    }
    identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
               std::to_string(st.st_size);
  }
  ::close(fd);
  return ok;
}
}  // namespace

std::shared_ptr<PluginLibrary> PluginManager::openLibrary(const std::filesystem::path& path,
                                                          std::string& error) {
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path, ec);
  // Under the signature policy the bytes checked are the bytes loaded (PluginLibrary::open
  // loads a sealed copy of them). Checked also for a library already open: a key revoked
  // since then refuses a new instance.
  std::string bytes;
  std::string key = abs.string();
  const bool verify = trust_ && trust_->required();
  if (verify) {
    std::string identity;
    if (!readLibrary(abs, bytes, identity, error)) return nullptr;
    if (Status s = trust_->checkLibrary(abs, bytes); !s.ok()) {
      error = s.message;
      return nullptr;
    }
    key += '\0' + identity;  // a file replaced since is a new library, not the cached one
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = libraries_.find(key); it != libraries_.end()) {
      if (auto lib = it->second.lock()) return lib;
    }
  }
  auto lib = PluginLibrary::open(abs, error, verify ? &bytes : nullptr);
  if (lib) {
    std::lock_guard lock(mu_);
    libraries_[key] = lib;
  }
  return lib;
}

ConfigErrors PluginManager::validate(const InstanceSpec& spec) {
  ConfigErrors errors;
  std::string error;
  const auto path = locate(spec, error);
  if (!path) {
    errors.push_back({spec.path + ".plugin", error});
    return errors;
  }
  auto lib = openLibrary(*path, error);
  if (!lib) {
    errors.push_back({spec.path + (spec.library.empty() ? ".plugin" : ".library"), error});
    return errors;
  }
  if (lib->info().name != spec.plugin) {
    errors.push_back(
        {spec.path + ".library",
         path->string() + " holds plugin '" + lib->info().name + "', not '" + spec.plugin + "'"});
  } else {
    // The host's checks of the declared properties first, then the plugin's own rules
    // (ABI 1.2), so --check-config refuses what create would.
    if (auto resolved = resolveConfig(lib->info().properties, spec.config, spec.path + ".config",
                                      errors, spec.base_dir))
      lib->validateConfig(resolved->view(), spec.path + ".config", errors);
  }
  // Drop our hold; an unused library is closed again right away.
  std::string fate;
  if (lib.use_count() == 1) ignoreResult(lib->unload(fate), "a retired library stays mapped");
  return errors;
}

std::shared_ptr<PluginInstance> PluginManager::build(const InstanceSpec& spec,
                                                     std::shared_ptr<PluginLibrary> lib,
                                                     ConfigErrors& errors) {
  auto resolved = resolveConfig(lib->info().properties, spec.config, spec.path + ".config", errors,
                                spec.base_dir);
  if (!resolved) return nullptr;
  auto inst =
      std::make_shared<PluginInstance>(spec.name, std::move(lib), std::move(*resolved), services_);
  inst->create().ignoreError("a failure leaves the instance `failed` with its reason");
  return inst;
}

void PluginManager::retire(const std::shared_ptr<PluginInstance>& inst, std::string& fate) {
  const std::string path = inst->libraryPath().string();
  fate = inst->releaseLibrary();
  if (fate.rfind("retired", 0) == 0) {
    std::lock_guard lock(mu_);
    retired_.push_back({path, fate.substr(std::string("retired: ").size())});
  }
}

Status PluginManager::add(const InstanceSpec& spec) {
  std::lock_guard lifecycle(lifecycle_mu_);
  std::optional<Broken> was_broken;
  {
    std::lock_guard lock(mu_);
    if (entries_.count(spec.name) != 0) {
      return Status::invalid("an instance named '" + spec.name + "' already exists");
    }
    if (auto b = broken_.find(spec.name); b != broken_.end()) {
      was_broken = b->second;
      broken_.erase(b);
    }
  }
  if (was_broken) {
    // Started again on purpose: the next boot tries it too (its old crashes are forgiven).
    crash::mark(was_broken->journal, "clear", spec.name, wallClockNs() / 1'000'000'000)
        .ignoreError("at worst the next boot leaves it broken again, and says why");
    logInfo("plugin", "a broken instance is started again", {{"instance", spec.name}});
  }
  std::string error;
  const auto path = locate(spec, error);
  std::shared_ptr<PluginLibrary> lib = path ? openLibrary(*path, error) : nullptr;
  if (!lib) {
    logError("plugin", "cannot load plugin", {{"instance", spec.name}, {"error", error}});
    return Status::failed(error);
  }
  if (lib->info().name != spec.plugin) {
    return Status::invalid(path->string() + " holds plugin '" + lib->info().name + "', not '" +
                           spec.plugin + "'");
  }
  // A sink holds retention from here on, even when it fails to start below: what it has
  // not acknowledged must wait for it, not be trimmed because it is down.
  if (lib->info().isSink()) buffer_.registerSink(spec.name);
  ConfigErrors errors;
  auto inst = build(spec, lib, errors);
  lib.reset();
  if (!inst) {
    std::string text;
    for (const auto& e : errors) text += (text.empty() ? "" : "; ") + e.text();
    return Status::invalid(text);
  }
  auto entry = std::make_unique<Entry>();
  entry->spec = spec;
  entry->slot->instance = inst;
  Status result = Status::success();
  if (inst->state() == InstanceState::Created) {
    result = inst->start();
    if (result.ok() && inst->info().isSink()) {
      entry->worker = std::make_unique<SinkWorker>(spec.name, entry->slot, buffer_, spec.delivery);
    }
  } else {
    result = Status::failed(inst->lastError());
  }
  std::lock_guard lock(mu_);
  entries_[spec.name] = std::move(entry);
  return result;
}

Status PluginManager::addStopped(const InstanceSpec& spec) {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (entries_.count(spec.name) != 0)
      return Status::invalid("an instance named '" + spec.name + "' already exists");
  }
  std::string error;
  const auto path = locate(spec, error);
  std::shared_ptr<PluginLibrary> lib = path ? openLibrary(*path, error) : nullptr;
  if (lib && lib->info().isSink()) buffer_.registerSink(spec.name);
  auto entry = std::make_unique<Entry>();
  entry->spec = spec;
  std::lock_guard lock(mu_);
  entries_[spec.name] = std::move(entry);
  logInfo("plugin", "instance kept stopped (an operator stopped it)", {{"instance", spec.name}});
  return lib ? Status::success() : Status::failed(error);
}

Status PluginManager::addBroken(const InstanceSpec& spec, const std::string& reason,
                                const std::filesystem::path& journal) {
  Status s = addStopped(spec);
  std::lock_guard lock(mu_);
  broken_[spec.name] = Broken{reason, journal};
  return s;
}

std::optional<InstanceSpec> PluginManager::spec(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second->spec;
}

void PluginManager::stopEntry(Entry& entry) {
  // Taken out under mu_: list() and /metrics read entry.worker under it, concurrently.
  std::unique_ptr<SinkWorker> worker;
  {
    std::lock_guard lock(mu_);
    worker = std::move(entry.worker);
  }
  if (worker) worker->stop();
  worker.reset();
  std::shared_ptr<PluginInstance> inst;
  {
    std::lock_guard lock(entry.slot->mu);
    inst = std::move(entry.slot->instance);
  }
  if (!inst) return;
  if (inst->state() == InstanceState::Running)
    inst->stop(kStopDeadline).ignoreError("a failed stop leaves the instance failed and logged");
  inst->destroy();
  std::string fate;
  retire(inst, fate);
}

Status PluginManager::stopInstance(const std::string& name) {
  std::lock_guard lifecycle(lifecycle_mu_);
  Entry* entry = nullptr;
  {
    std::lock_guard lock(mu_);
    const auto it = entries_.find(name);
    if (it == entries_.end())
      return Status::error(SG_ERR_NOT_FOUND, "no instance named '" + name + "'");
    entry = it->second.get();
  }
  {
    std::lock_guard slot(entry->slot->mu);
    if (!entry->slot->instance || entry->slot->instance->state() != InstanceState::Running)
      return Status::invalid("instance '" + name + "' is not running");
  }
  stopEntry(*entry);
  logInfo("plugin", "instance stopped on request", {{"instance", name}});
  return Status::success();
}

Status PluginManager::startInstance(const std::string& name) {
  InstanceSpec spec;
  {
    std::lock_guard lifecycle(lifecycle_mu_);
    std::lock_guard lock(mu_);
    const auto it = entries_.find(name);
    if (it == entries_.end())
      return Status::error(SG_ERR_NOT_FOUND, "no instance named '" + name + "'");
    std::lock_guard slot(it->second->slot->mu);
    const auto& inst = it->second->slot->instance;
    if (inst && inst->state() == InstanceState::Running)
      return Status::invalid("instance '" + name + "' is already running");
    spec = it->second->spec;
  }
  removeInstance(name, false).ignoreError("it exists: checked above; its backlog stays held");
  return add(spec);
}

Status PluginManager::remove(const std::string& name) {
  return removeInstance(name, true);
}

Status PluginManager::removeInstance(const std::string& name, bool release_retention) {
  std::lock_guard lifecycle(lifecycle_mu_);
  std::unique_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end())
      return Status::error(SG_ERR_NOT_FOUND, "no instance named '" + name + "'");
    entry = std::move(it->second);
    entries_.erase(it);
  }
  stopEntry(*entry);
  if (release_retention) buffer_.unregisterSink(name);
  logInfo("plugin", "instance removed", {{"instance", name}});
  return Status::success();
}

Status PluginManager::update(const InstanceSpec& spec) {
  InstanceSpec current;
  std::shared_ptr<PluginInstance> inst;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(spec.name);
    if (it == entries_.end())
      return Status::error(SG_ERR_NOT_FOUND, "no instance named '" + spec.name + "'");
    current = it->second->spec;
    std::lock_guard slot_lock(it->second->slot->mu);
    inst = it->second->slot->instance;
  }
  if (current == spec) return Status::success();
  const bool running = inst && inst->state() == InstanceState::Running;
  // Delivery options (batching, routing) belong to the worker, which a restart rebuilds.
  const bool same_delivery = current.delivery_json == spec.delivery_json;
  const bool only_library = current.plugin == spec.plugin && current.enabled == spec.enabled &&
                            current.config == spec.config && same_delivery &&
                            current.library != spec.library;
  if (running && only_library && !spec.library.empty()) {
    SwapReport r = hotSwap(spec.name, spec.library);
    if (!r.swapped) return Status::failed(r.error);
    std::lock_guard lock(mu_);
    entries_[spec.name]->spec = spec;
    return Status::success();
  }
  if (running && current.plugin == spec.plugin && current.library == spec.library &&
      current.enabled == spec.enabled && same_delivery) {
    ConfigErrors errors;
    auto resolved = resolveConfig(inst->info().properties, spec.config, spec.path + ".config",
                                  errors, spec.base_dir);
    if (!resolved) return Status::invalid(errors.front().text());
    bool all_reloadable = true;
    for (const std::string& changed : resolved->changedFrom(inst->config())) {
      for (const PropertySpec& p : inst->info().properties) {
        if (p.name == changed && !p.reloadable()) all_reloadable = false;
      }
    }
    if (all_reloadable) {
      std::lock_guard lifecycle(lifecycle_mu_);
      Status s = inst->reconfigure(*resolved);
      if (s.ok()) {
        std::lock_guard lock(mu_);
        entries_[spec.name]->spec = spec;
        logInfo("plugin", "instance reconfigured in place", {{"instance", spec.name}});
        return s;
      }
      if (s.code != SG_ERR_UNSUPPORTED) return s;
    }
  }
  // Anything else: restart with the new spec (its events stay held for it meanwhile).
  removeInstance(spec.name, false).ignoreError("it exists: found above");
  if (!spec.enabled) {
    logInfo("plugin", "instance disabled", {{"instance", spec.name}});
    return Status::success();
  }
  return add(spec);
}

SwapReport PluginManager::hotSwap(const std::string& name, const std::filesystem::path& library) {
  std::lock_guard lifecycle(lifecycle_mu_);
  SwapReport report;
  Entry* entry = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      report.error = "no instance named '" + name + "'";
      return report;
    }
    entry = it->second.get();
  }
  std::shared_ptr<PluginInstance> old;
  {
    std::lock_guard lock(entry->slot->mu);
    old = entry->slot->instance;
  }
  if (!old) {
    report.error = "instance '" + name + "' has nothing loaded";
    return report;
  }
  report.old_library = old->libraryPath().string();
  std::error_code ec;
  if (std::filesystem::equivalent(library, old->libraryPath(), ec)) {
    report.error = "'" + library.string() +
                   "' is the library already loaded; install the new build at a new path";
    return report;
  }
  std::string error;
  auto lib = openLibrary(library, error);
  if (!lib) {
    report.error = error;
    return report;
  }
  if (lib->info().name != old->info().name) {
    report.error = library.string() + " holds plugin '" + lib->info().name + "', but instance '" +
                   name + "' runs '" + old->info().name + "'";
    return report;
  }
  ConfigErrors errors;
  InstanceSpec spec;
  {
    std::lock_guard lock(mu_);
    spec = entry->spec;
  }
  auto fresh = build(spec, lib, errors);
  lib.reset();
  if (!fresh) {
    report.error = "the current config does not fit the new build: " + errors.front().text();
    return report;
  }
  if (fresh->state() != InstanceState::Created) {
    report.error = "new build failed: " + fresh->lastError() + "; the old one keeps running";
    std::string ignored;
    retire(fresh, ignored);
    return report;
  }

  const bool old_running = old->state() == InstanceState::Running;
  if (old->info().isSource() || !old_running) {
    // A source's two builds must never emit at once: its state (e.g. a file offset)
    // belongs to one writer. Stop the old one first; the gap is stop + start.
    // retire() takes mu_: it runs after the slot lock is released (list() takes mu_, then
    // a slot's lock — the other order would deadlock with it).
    std::vector<std::shared_ptr<PluginInstance>> to_retire;
    bool failed = false;
    {
      std::lock_guard slot_lock(entry->slot->mu);
      if (old_running)
        old->stop(kStopDeadline).ignoreError("a failed stop is logged; the new build starts");
      Status started = fresh->start();
      if (!started.ok()) {
        failed = true;
        report.error = "new build failed to start: " + started.message;
        to_retire.push_back(fresh);
        if (old_running) {
          ConfigErrors again;
          auto revived = build(spec, old->library(), again);
          if (revived && revived->state() == InstanceState::Created && revived->start().ok()) {
            report.rolled_back = true;
            old->destroy();
            to_retire.push_back(old);  // shares the library with `revived`: stays loaded
            entry->slot->instance = revived;
          }
        }
      } else {
        entry->slot->instance = fresh;
      }
    }
    if (failed) {
      for (const auto& inst : to_retire) {
        std::string fate;
        retire(inst, fate);
      }
      logError("plugin", "hot swap failed",
               {{"instance", name},
                {"error", report.error},
                {"rolled_back", report.rolled_back ? "true" : "false"}});
      return report;
    }
  } else {
    // A pure sink: start the new build first, then switch between two batches.
    Status started = fresh->start();
    if (!started.ok()) {
      report.error =
          "new build failed to start: " + started.message + "; the old one keeps running";
      report.rolled_back = true;
      std::string ignored;
      retire(fresh, ignored);
      return report;
    }
    {
      std::lock_guard slot_lock(entry->slot->mu);
      entry->slot->instance = fresh;
    }
    old->stop(kStopDeadline).ignoreError("the new build already runs; a failed stop is logged");
  }
  {
    std::lock_guard lock(mu_);  // report() reads worker and spec under it
    if (fresh->info().isSink() && !entry->worker)
      entry->worker =
          std::make_unique<SinkWorker>(name, entry->slot, buffer_, entry->spec.delivery);
    entry->spec.library = library;
  }
  old->destroy();
  retire(old, report.old_library_fate);
  report.swapped = true;
  logInfo("plugin", "hot swap done",
          {{"instance", name},
           {"from", report.old_library},
           {"to", library.string()},
           {"old_library", report.old_library_fate}});
  return report;
}

void PluginManager::stopAll(std::chrono::milliseconds drain) {
  std::lock_guard lifecycle(lifecycle_mu_);
  std::map<std::string, std::unique_ptr<Entry>> entries;
  {
    std::lock_guard lock(mu_);
    entries.swap(entries_);
  }
  // Sources first, so that sinks can still drain what they emitted last.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1 && drain.count() > 0) waitForSinks(entries, drain);
    for (auto& [name, entry] : entries) {
      std::shared_ptr<PluginInstance> inst;
      {
        std::lock_guard lock(entry->slot->mu);
        inst = entry->slot->instance;
      }
      const bool sink = inst && inst->info().isSink();
      if ((pass == 0) == sink) continue;
      stopEntry(*entry);
    }
  }
}

void PluginManager::waitForSinks(const std::map<std::string, std::unique_ptr<Entry>>& entries,
                                 std::chrono::milliseconds drain) {
  const uint64_t last = buffer_.stats().last_sequence;
  const auto deadline = std::chrono::steady_clock::now() + drain;
  for (const auto& [name, entry] : entries) {
    if (!entry->worker) continue;
    while (buffer_.cursor(name) < last && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (buffer_.cursor(name) < last) {
      logWarn("delivery", "sink did not drain before shutdown; the rest stays buffered",
              {{"sink", name},
               {"cursor", std::to_string(buffer_.cursor(name))},
               {"last", std::to_string(last)}});
    }
  }
}

InstanceReport PluginManager::report(const Entry& entry) const {
  InstanceReport r;
  r.name = entry.spec.name;
  r.plugin = entry.spec.plugin;
  std::shared_ptr<PluginInstance> inst;
  {
    std::lock_guard lock(entry.slot->mu);
    inst = entry.slot->instance;
  }
  if (inst) {
    r.version = inst->info().version;
    r.library = inst->libraryPath().string();
    r.state = toString(inst->state());
    r.kinds = kindsText(inst->info().kinds);
    r.last_error = inst->lastError();
    r.emitted = inst->emitted();
    r.calls_after_stop = inst->callsAfterStop();
    r.config = inst->config().toJson(true);
    r.secret_texts = inst->config().secretTexts();
    r.metrics = inst->metrics();
    const sg_health_level h = inst->health();
    r.health = h == SG_HEALTH_OK ? "ok" : h == SG_HEALTH_DEGRADED ? "degraded" : "failing";
  }
  if (!inst) r.state = "stopped";
  // The callers (list, get) hold mu_.
  if (auto b = broken_.find(entry.spec.name); b != broken_.end()) {
    r.state = "broken";
    r.last_error = b->second.reason;
  }
  if (entry.worker) {
    r.delivered = entry.worker->delivered();
    r.dead_lettered = entry.worker->deadLettered();
    r.last_delivery_unix_ns = entry.worker->lastDeliveryUnixNs();
    r.consecutive_failures = entry.worker->consecutiveFailures();
    // A sink whose every delivery fails is not ok, whatever the plugin says of itself.
    if (r.consecutive_failures >= kDegradedAfterFailures && r.health == "ok") r.health = "degraded";
  }
  return r;
}

std::vector<InstanceReport> PluginManager::list() {
  std::lock_guard lock(mu_);
  std::vector<InstanceReport> out;
  for (const auto& [name, entry] : entries_) out.push_back(report(*entry));
  return out;
}

std::map<std::string, uint64_t> PluginManager::emittedCounts() const {
  std::lock_guard lock(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [name, entry] : entries_) {
    std::lock_guard slot(entry->slot->mu);
    out[name] = entry->slot->instance ? entry->slot->instance->emitted() : 0;
  }
  return out;
}

std::optional<InstanceReport> PluginManager::get(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return report(*it->second);
}

Status PluginManager::query(const std::string& name, std::string_view query,
                            std::string_view payload, std::string& media_type, std::string& body) {
  std::shared_ptr<PluginInstance> inst;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end())
      return Status::error(SG_ERR_NOT_FOUND, "no plugin instance '" + name + "'");
    std::lock_guard slot(it->second->slot->mu);
    inst = it->second->slot->instance;
  }
  // Outside the manager's lock: a query may take seconds (a camera's next frame).
  if (!inst) return Status::error(SG_ERR_CLOSED, "instance '" + name + "' is not running");
  return inst->query(query, payload, media_type, body);
}

std::vector<RetiredLibrary> PluginManager::retired() const {
  std::lock_guard lock(mu_);
  return retired_;
}

void PluginManager::collectDeliveryLatency(MetricWriter& w) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, entry] : entries_) {
    if (!entry->worker) continue;
    w.histogram("storegate_sink_deliver_seconds", "Time of one deliver call to the sink",
                entry->worker->deliverLatency(),
                {{"instance", name}, {"plugin", entry->spec.plugin}});
  }
}

std::vector<std::string> PluginManager::names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

}  // namespace storegate
