// Start, reload-as-differences and ordered shutdown of the gateway.
#include "daemon/daemon.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "admin/admin_server.hpp"
#include "admin/remote.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/thread_guard.hpp"
#include "common/time.hpp"
#include "common/version.hpp"
#include "control/control_plane.hpp"
#include "plugin/crash_journal.hpp"
#include "storegate/http_listener.hpp"

namespace storegate {

namespace {
// The crash-loop breaker's rule: this many deaths in one instance's code within the window.
constexpr int kCrashLimit = 3;
constexpr std::chrono::seconds kCrashWindow{10 * 60};
}  // namespace

std::vector<std::filesystem::path> effectivePluginDirs(
    const GatewayConfig& config, const std::vector<std::filesystem::path>& defaults) {
  return config.plugin_dirs.empty() ? defaults : config.plugin_dirs;
}

std::optional<GatewayConfig> loadAndValidate(
    const std::filesystem::path& file, const std::vector<std::filesystem::path>& defaults,
    ConfigErrors& errors, std::shared_ptr<const package::TrustPolicy> running_policy) {
  GatewayConfig partial;
  auto config = loadConfigFile(file, errors, &partial);
  if (!config) {
    // Every error at once: the plugins' checks run on what could be read, for the instances
    // that have no error of their own (a missing store_id hides no plugin's problem).
    // Not when the policy or the plugin directories are themselves in doubt: opening
    // libraries then could load what the intended policy would refuse (fail closed).
    std::set<std::string> flawed;
    for (const ConfigError& e : errors) {
      if (e.path.rfind("plugin_trust", 0) == 0 || e.path.rfind("plugin_dirs", 0) == 0 ||
          e.path == "plugins" || e.path.empty() || e.path.rfind("line ", 0) == 0)
        return std::nullopt;
      if (e.path.rfind("plugins[", 0) == 0) flawed.insert(e.path.substr(0, e.path.find(']') + 1));
    }
    std::erase_if(partial.plugins,
                  [&](const InstanceSpec& s) { return flawed.count(s.path) != 0; });
    if (!partial.plugins.empty())
      ignoreResult(validatePlugins(partial, defaults, errors, std::move(running_policy)),
                   "the config is refused either way; this only adds the plugins' errors");
    return std::nullopt;
  }
  if (!validatePlugins(*config, defaults, errors, std::move(running_policy))) return std::nullopt;
  return config;
}

bool Daemon::checkPlugins(const GatewayConfig& config, ConfigErrors& errors) {
  return validatePlugins(config, plugin_dirs_, errors, trust_);
}

bool validatePlugins(const GatewayConfig& config,
                     const std::vector<std::filesystem::path>& defaults, ConfigErrors& errors,
                     std::shared_ptr<const package::TrustPolicy> running_policy) {
  const size_t before = errors.size();
  // The policy in force: the running daemon's when it requires signatures (a config sent
  // for validation cannot switch it off), else the one this config asks for.
  std::shared_ptr<const package::TrustPolicy> trust = running_policy;
  if (!trust || !trust->required()) {
    std::shared_ptr<package::TrustPolicy> own;
    if (Status s = package::TrustPolicy::make(config.plugin_trust.require_signature,
                                              config.plugin_trust.trusted_keys, own);
        !s.ok()) {
      errors.push_back({"plugin_trust.trusted_keys", s.message});
      return false;  // without the keys, no library may be opened to check it
    }
    trust = std::move(own);
  }
  MemoryBuffer scratch;
  Ingest ingest(scratch, config.store_id);
  PluginManager checker(effectivePluginDirs(config, defaults),
                        HostServices{&ingest, &scratch, config.store_id}, scratch, trust);
  for (const InstanceSpec& spec : config.plugins) {
    if (!spec.enabled) continue;
    ConfigErrors found = checker.validate(spec);
    errors.insert(errors.end(), found.begin(), found.end());
  }
  return errors.size() == before;
}

Daemon::Daemon(GatewayConfig config, std::vector<std::filesystem::path> default_plugin_dirs)
    : config_(std::move(config)), plugin_dirs_(effectivePluginDirs(config_, default_plugin_dirs)) {}

Daemon::~Daemon() {
  stop();
}

Status Daemon::start() {
  if (Status s = createDirectoriesDurably(config_.data_dir); !s.ok()) {
    return Status::failed("cannot create data_dir '" + config_.data_dir.string() + "': " +
                          s.message + " (create it, or point data_dir at a writable directory)");
  }
  BufferOptions options = config_.buffer;
  options.store_id = config_.store_id;
  if (options.backend == "memory") {
    logWarn("daemon", "buffer backend is memory: events are lost on restart");
    memory_ = std::make_unique<MemoryBuffer>();
    buffer_ = memory_.get();
    state_ = memory_.get();
  } else {
    std::string error;
    rocks_ = RocksBuffer::open(config_.data_dir / "buffer", options, error);
    if (!rocks_) return Status::failed(error);
    buffer_ = rocks_.get();
    state_ = rocks_.get();
  }
  ingest_ = std::make_unique<Ingest>(*buffer_, config_.store_id);
  summary_.startAfter(buffer_->stats().last_sequence);
  ingest_->setObserver([this](std::span<const Event> events) { summary_.observe(events); });
  if (Status s = package::TrustPolicy::make(config_.plugin_trust.require_signature,
                                            config_.plugin_trust.trusted_keys, trust_);
      !s.ok())
    return s;
  if (trust_->required())
    logInfo("plugin", "plugin signatures required",
            {{"trusted_keys", std::to_string(trust_->keys())}});
  plugins_ = std::make_unique<PluginManager>(
      plugin_dirs_, HostServices{ingest_.get(), state_, config_.store_id}, *buffer_, trust_);
  metrics_.add([this](MetricWriter& w) { collect(w); });
  logInfo("daemon", "starting",
          {{"store_id", config_.store_id},
           {"data_dir", config_.data_dir.string()},
           {"instances", std::to_string(config_.plugins.size())}});
  control_ = std::make_unique<control::ControlPlane>(*plugins_, config_);
  // The crash-loop breaker: deaths in an instance's code are journaled by a signal handler;
  // an instance blamed kCrashLimit times within kCrashWindow is left broken at this start.
  const auto journal = config_.data_dir / "control" / "crashes";
  // Read (and maybe compacted, which replaces the file) before the handler opens it: a
  // handler holding the replaced file would journal this run's deaths nowhere.
  const crash::Verdict verdict =
      crash::read(journal, kCrashLimit, kCrashWindow, wallClockNs() / 1'000'000'000);
  if (Status s = crash::install(journal); !s.ok()) logWarn("daemon", s.message);
  if (verdict.unattributed > 0)
    logWarn("daemon", "the daemon died recently outside any plugin's code",
            {{"deaths", std::to_string(verdict.unattributed)}, {"journal", journal.string()}});
  control_->setBroken(verdict.broken, journal,
                      "the daemon died " + std::to_string(kCrashLimit) + " times within " +
                          std::to_string(kCrashWindow.count() / 60) +
                          " minutes in this instance's code (see " + journal.string() + ")");
  if (Status s = control_->boot(); !s.ok()) return s;
  // Sinks the buffer remembers hold back retention until they run again; one the config no
  // longer runs (gone, or disabled) lets go now, or the buffer would keep its backlog forever.
  std::set<std::string> configured;
  for (const InstanceSpec& spec : control_->running().plugins)
    if (spec.enabled) configured.insert(spec.name);
  for (const std::string& sink : buffer_->retainingSinks()) {
    if (configured.count(sink) != 0 || isInternalReader(sink)) continue;
    buffer_->unregisterSink(sink);
    logInfo("buffer", "sink no longer configured; its backlog is no longer retained for it",
            {{"sink", sink}, {"cursor", std::to_string(buffer_->cursor(sink))}});
  }
  started_ns_ = wallClockNs();
  if (config_.admin.enabled) {
    admin_ = std::make_unique<admin::AdminServer>(*this, config_.admin);
    if (Status s = admin_->start(); !s.ok()) {
      // Data collection goes on without it; the operator must hear of it.
      logError("admin", s.message);
      admin_.reset();
    } else {
      remote_ = std::make_unique<admin::RemoteRequests>(*admin_, *buffer_, *ingest_);
    }
  }
  logInfo("daemon", "started", {{"instances", std::to_string(plugins_->names().size())}});
  return Status::success();
}

void Daemon::collect(MetricWriter& w) {
  collectProcess(w);
  w.gauge("storegate_build_info", "The running build: always 1, the facts are in the labels", 1,
          {{"version", STOREGATE_VERSION},
           {"abi_min", abiVersionText(kHostAbiMin)},
           {"abi_max", abiVersionText(kHostAbiMax)}});
  w.counter("storegate_thread_exceptions_total",
            "Exceptions a thread's guard caught (each one logged; the daemon went on)",
            double(escapedExceptions()));
  if (control_) {
    w.gauge("storegate_config_version", "Version of the desired state (changes kept)",
            double(control_->version()));
    w.counter("storegate_control_changes_total", "Changes the control plane ran",
              double(control_->changesApplied()));
  }
  if (admin_) {
    const sdk::http::ListenerStats l = admin_->listenerStats();
    const char* help = "Admin connections the listener closed or refused, by reason";
    const std::pair<const char*, uint64_t> reasons[] = {
        {"deadline", l.timed_out},      {"shed", l.shed},
        {"evicted", l.evicted},         {"per_address", l.refused_per_address},
        {"framing", l.refused_framing}, {"queue_full", l.refused_by_queue}};
    for (const auto& [reason, n] : reasons)
      w.counter("storegate_admin_connections_closed_total", help, double(n), {{"reason", reason}});
  }
  if (rocks_) rocks_->collect(w);
  w.counter("storegate_ingest_accepted_total", "Events accepted from plugins",
            double(ingest_->accepted()));
  w.counter("storegate_ingest_rejected_total", "Events refused as malformed",
            double(ingest_->rejected()));
  plugins_->collectDeliveryLatency(w);
  const BufferStats b = buffer_->stats();
  const int64_t now = wallClockNs();
  for (const InstanceReport& r : plugins_->list()) {
    const Labels l = {{"instance", r.name}, {"plugin", r.plugin}};
    w.gauge("storegate_plugin_up", "1 when the instance is running", r.state == "running" ? 1 : 0,
            l);
    w.counter("storegate_plugin_emitted_total", "Events the instance emitted", double(r.emitted),
              l);
    for (const auto& [name, value] : r.metrics) {
      w.gauge("storegate_plugin_metric", "Values plugins report through host->metric", value,
              {{"instance", r.name}, {"plugin", r.plugin}, {"name", name}});
    }
    if (r.kinds.find("sink") == std::string::npos) continue;
    const uint64_t cursor = buffer_->cursor(r.name);
    w.counter("storegate_sink_delivered_total", "Events the sink accepted", double(r.delivered), l);
    w.counter("storegate_sink_dead_lettered_total", "Events the sink rejected for good",
              double(r.dead_lettered), l);
    w.gauge("storegate_sink_lag_events", "Committed events the sink has not acknowledged",
            double(b.last_sequence > cursor ? b.last_sequence - cursor : 0), l);
    const auto next = buffer_->readAfter(cursor, 1, 1);
    w.gauge("storegate_sink_oldest_undelivered_seconds",
            "Age of the oldest event the sink has not acknowledged",
            next.empty() ? 0.0 : double(now - next.front().time_unix_ns) / 1e9, l);
  }
}

void Daemon::collectProcess(MetricWriter& w) {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  w.counter("process_cpu_seconds_total", "User and system CPU time",
            double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  w.gauge("process_resident_memory_bytes", "Resident set size",
          double(resident) * double(::sysconf(_SC_PAGESIZE)));
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  w.gauge("process_open_fds", "Open file descriptors", double(fds));
  w.gauge("process_start_time_seconds", "Start time, Unix seconds", double(started_ns_) / 1e9);
}

void Daemon::checkMemory() {
  if (config_.memory_budget == 0 || !plugins_) return;
  // Resident pages, from /proc/self/statm (second field): one small read per tick.
  uint64_t pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "re")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) pages = resident;
    std::fclose(f);
  }
  const uint64_t rss = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // Who moved since the last tick: events emitted per source (a leak that grows with its
  // traffic shows in its owner's counters; memory itself cannot be told apart in-process).
  std::vector<std::pair<uint64_t, std::string>> moved;
  // Read without calling into any plugin: this runs on the loop that pings the watchdog.
  std::map<std::string, uint64_t> now = plugins_->emittedCounts();
  for (const auto& [name, emitted] : now) {
    const auto before = emitted_at_last_check_.find(name);
    const uint64_t was = before == emitted_at_last_check_.end() ? 0 : before->second;
    if (emitted > was) moved.emplace_back(emitted - was, name);
  }
  emitted_at_last_check_ = std::move(now);
  if (rss < config_.memory_budget) {
    if (rss < config_.memory_budget / 10 * 9) memory_warned_ = false;
    return;
  }
  if (memory_warned_) return;
  memory_warned_ = true;
  std::sort(moved.rbegin(), moved.rend());
  std::string busiest;
  for (size_t i = 0; i < moved.size() && i < 3; ++i)
    busiest += (i ? "," : "") + moved[i].second + "(" + std::to_string(moved[i].first) + ")";
  logWarn("daemon",
          "memory above its budget: a plugin may be leaking; stop the busiest instance to see "
          "(POST /v1/plugins/{name}/stop) before the unit's MemoryMax restarts the daemon",
          {{"rss_bytes", std::to_string(rss)},
           {"budget_bytes", std::to_string(config_.memory_budget)},
           {"busiest_since_last_check", busiest.empty() ? "none" : busiest}});
}

void Daemon::logStats() {
  if (!buffer_) return;
  const BufferStats b = buffer_->stats();
  std::vector<LogField> fields = {{"last_sequence", std::to_string(b.last_sequence)},
                                  {"live_bytes", std::to_string(b.bytes)},
                                  {"dropped", std::to_string(b.dropped)},
                                  {"dedup_hits", std::to_string(b.dedup_hits)},
                                  {"quarantined", std::to_string(b.quarantined)},
                                  {"dead_letters", std::to_string(b.dead_letters)},
                                  {"disk_paused", b.disk_paused ? "true" : "false"}};
  for (const InstanceReport& r : plugins_->list()) {
    if (r.kinds.find("sink") == std::string::npos) continue;
    const uint64_t cursor = buffer_->cursor(r.name);
    fields.emplace_back("lag." + r.name,
                        std::to_string(b.last_sequence > cursor ? b.last_sequence - cursor : 0));
  }
  Logger::instance().write(LogLevel::Info, "buffer", "stats", fields);
}

GatewayConfig Daemon::configSnapshot() const {
  return control_ ? control_->running() : config_;
}

std::vector<std::string> Daemon::reload(const GatewayConfig& next) {
  return control_->execute("reload",
                           [&] { return control_->applyFile(next, /*keep_on_failure=*/true); });
}

void Daemon::reloadSecrets() {
  if (trust_) {
    if (Status s = trust_->reload(); !s.ok())
      logError("plugin", "trusted keys not reloaded; the keys in force stay",
               {{"error", s.message}});
  }
  if (admin_) admin_->reloadTokens();
}

bool Daemon::makingProgress(std::chrono::milliseconds writer_limit, std::string& why) const {
  // Generous bounds: a group commit is milliseconds and a change seconds (stop deadlines);
  // past these something is hung, and a restart is the way out.
  constexpr auto kControlLimit = std::chrono::seconds(600);  // a whole config of restarts
  if (rocks_ && rocks_->writerBusyFor() > writer_limit) {
    why = "the buffer's writer has been in one commit for " +
          std::to_string(rocks_->writerBusyFor().count()) + " ms";
    return false;
  }
  if (rocks_ && rocks_->oldestDiskCall() > writer_limit) {
    why = "a call into the buffer has waited for the disk for " +
          std::to_string(rocks_->oldestDiskCall().count()) + " ms";
    return false;
  }
  if (control_ && control_->busyFor() > kControlLimit) {
    why = "the control plane has been in one change for " +
          std::to_string(control_->busyFor().count()) + " ms";
    return false;
  }
  return true;
}

void Daemon::stop() {
  remote_.reset();
  // The change running finishes and nothing new starts before the listener goes: a queued
  // reload touches admin_ (tokens); a late API call gets a refusal, not a dead daemon.
  if (control_) control_->shutdown();
  admin_.reset();  // no API call may race the shutdown
  control_.reset();
  if (!plugins_) return;
  plugins_->stopAll(std::chrono::seconds(5));
  buffer_->wakeAll();
  plugins_.reset();
  ingest_.reset();
  rocks_.reset();  // flushes and closes the database
  memory_.reset();
  buffer_ = nullptr;
}

}  // namespace storegate
