// storegated: the store gateway daemon.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "common/log.hpp"
#include "common/version.hpp"
#include "control/control_plane.hpp"
#include "daemon/daemon.hpp"
#include "daemon/sd_notify.hpp"
#include "plugin/library.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

void usage(std::ostream& out) {
  out << "usage: storegated [--config FILE] [--check-config] [--list-plugins]\n"
         "                  [--plugin-schema NAME] [--accept-buffer-loss] [--version]\n"
         "  --config FILE    gateway config (YAML); default /etc/storegate/storegate.yaml\n"
         "  --check-config   validate the config, including every plugin's settings, and exit:\n"
         "                   0 when valid, 2 with each error listed by its path\n"
         "  --list-plugins   list the plugins found in the plugin directories and exit\n"
         "  --plugin-schema NAME  print the JSON Schema of plugin NAME's config and exit\n"
         "  --accept-buffer-loss  start even though acknowledged events are missing from a\n"
         "                   damaged buffer (this start only; the loss is logged)\n"
         "  --version        print the version and the plugin ABI range and exit\n"
         "signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the config file\n";
}

std::vector<std::filesystem::path> defaultPluginDirs() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto bin = exe.parent_path();
  return {(bin / ".." / "plugins").lexically_normal(),
          (bin / ".." / "lib" / "storegate" / "plugins").lexically_normal()};
}

void printErrors(const storegate::ConfigErrors& errors, const std::filesystem::path& file) {
  std::cerr << file.string() << ": " << errors.size() << " error" << (errors.size() == 1 ? "" : "s")
            << ":\n";
  for (const auto& e : errors) std::cerr << "  " << e.text() << "\n";
}

// A loader for inspecting plugins (listing, schemas) with the config's plugin directories and
// its signature policy, when the config loads; else the defaults and no policy.
std::unique_ptr<storegate::PluginManager> inspector(const std::filesystem::path& config_path,
                                                    storegate::MemoryBuffer& scratch) {
  storegate::ConfigErrors errors;
  auto dirs = defaultPluginDirs();
  std::shared_ptr<storegate::package::TrustPolicy> trust;
  // A config that exists but does not load: its signature policy is unknown, so nothing is
  // opened (fail closed). No config at all (a developer's machine): no policy applies.
  std::error_code ec;
  const bool exists = std::filesystem::exists(config_path, ec);
  auto loaded = exists ? storegate::loadConfigFile(config_path, errors) : std::nullopt;
  if (exists && !loaded) {
    std::cerr << "storegated: " << config_path.string()
              << " does not load, so its plugin signature policy is unknown; fix it first:\n";
    for (const auto& e : errors) std::cerr << "  " << e.text() << "\n";
    return nullptr;
  }
  if (auto cfg = loaded) {
    dirs = storegate::effectivePluginDirs(*cfg, dirs);
    if (storegate::Status s = storegate::package::TrustPolicy::make(
            cfg->plugin_trust.require_signature, cfg->plugin_trust.trusted_keys, trust);
        !s.ok()) {
      std::cerr << "storegated: " << s.message << "\n";
      return nullptr;
    }
  }
  return std::make_unique<storegate::PluginManager>(dirs, storegate::HostServices{}, scratch,
                                                    trust);
}

int listPlugins(const std::filesystem::path& config_path) {
  storegate::MemoryBuffer scratch;
  auto manager = inspector(config_path, scratch);
  if (!manager) return kExitConfig;
  for (const auto& [name, path] : manager->discover()) {
    std::string error;
    auto lib = manager->openLibrary(path, error);
    if (!lib) {
      std::cout << name << "\tERROR\t" << error << "\n";
      continue;
    }
    const auto& info = lib->info();
    std::cout << info.name << "\t" << info.version << "\t" << storegate::kindsText(info.kinds)
              << "\tABI " << storegate::abiVersionText(info.abi_version) << "\t" << path.string()
              << "\n";
  }
  return kExitOk;
}

int pluginSchema(const std::filesystem::path& config_path, const std::string& plugin) {
  storegate::MemoryBuffer scratch;
  auto manager = inspector(config_path, scratch);
  if (!manager) return kExitConfig;
  const auto found = manager->discover();
  const auto it = found.find(plugin);
  if (it == found.end()) {
    std::cerr << "storegated: no plugin '" << plugin << "' in the plugin directories (see "
              << "--list-plugins)\n";
    return kExitConfig;
  }
  std::string error;
  auto lib = manager->openLibrary(it->second, error);
  if (!lib) {
    std::cerr << "storegated: " << error << "\n";
    return kExitConfig;
  }
  nlohmann::json schema = storegate::propertiesToJsonSchema(lib->info().properties);
  schema["title"] = plugin;
  schema["description"] = lib->info().description;
  std::cout << schema.dump(2) << "\n";
  return kExitOk;
}

int run(const std::filesystem::path& config_path, bool accept_buffer_loss) {
  // Block the signals we handle before any thread exists, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const auto defaults = defaultPluginDirs();
  storegate::ConfigErrors errors;
  auto config = storegate::loadAndValidate(config_path, defaults, errors);
  if (!config) {
    printErrors(errors, config_path);
    std::cerr
        << "storegated: not started; fix the errors above (storegated --check-config --config "
        << config_path.string() << " re-checks)\n";
    return kExitConfig;
  }
  config->buffer.accept_loss = accept_buffer_loss;
  if (auto err = storegate::Logger::instance().configure(config->log)) {
    storegate::logError("daemon", *err);
  }
  storegate::logInfo("daemon", "storegated " STOREGATE_VERSION,
                     {{"config", config_path.string()}, {"pid", std::to_string(getpid())}});
  storegate::Daemon daemon(*config, defaults);
  if (auto s = daemon.start(); !s.ok()) {
    storegate::logError("daemon", "cannot start", {{"error", s.message}});
    return kExitFailure;
  }
  storegate::sdNotify("READY=1\nSTATUS=running");
  // Under systemd's watchdog, ping at half its interval from this loop: a daemon whose
  // main thread or buffer hangs stops pinging and is restarted.
  const auto watchdog = storegate::sdWatchdogInterval();
  // At most 5 s: the memory check runs on this tick too.
  const auto tick = watchdog.count() > 0
                        ? std::min<std::chrono::microseconds>(watchdog / 2, std::chrono::seconds(5))
                        : std::chrono::microseconds(std::chrono::seconds(5));
  // A commit that takes longer than the whole watchdog interval (at most 20 s) is a hung
  // disk by the operator's own measure.
  const auto writer_limit = std::chrono::duration_cast<std::chrono::milliseconds>(
      watchdog.count() > 0 ? std::min<std::chrono::microseconds>(watchdog, std::chrono::seconds(20))
                           : std::chrono::microseconds(std::chrono::seconds(20)));
  auto next_stats = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool watchdog_warned = false;
  for (;;) {
    timespec wait{static_cast<time_t>(tick.count() / 1'000'000),
                  static_cast<long>(tick.count() % 1'000'000) * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig < 0) {
      if (errno != EAGAIN) continue;
      if (watchdog.count() > 0) {
        // Pinged only while the buffer's writer and the control executor make progress: a
        // hung disk or a hung change stops the pings, and systemd restarts the daemon.
        std::string why;
        if (daemon.makingProgress(writer_limit, why)) {
          storegate::sdNotify("WATCHDOG=1");
          if (watchdog_warned) storegate::logInfo("daemon", "pinging the watchdog again");
          watchdog_warned = false;
        } else if (!watchdog_warned) {
          storegate::logError("daemon", "not pinging the watchdog", {{"why", why}});
          watchdog_warned = true;
        }
      }
      daemon.checkMemory();
      // Once a minute the buffer's figures, so a log alone shows the health.
      if (std::chrono::steady_clock::now() >= next_stats) {
        daemon.logStats();
        next_stats += std::chrono::seconds(60);
      }
      continue;
    }
    if (sig == SIGHUP) {
      // Queued on the control plane and never run here: a slow reload (every plugin library
      // is checked) must not keep this loop from the watchdog.
      storegate::logInfo("daemon", "SIGHUP: reloading config", {{"config", config_path.string()}});
      daemon.control().submitReload(
          [&config_path, &defaults, &daemon](storegate::ConfigErrors& errors) {
            return storegate::loadAndValidate(config_path, defaults, errors, daemon.trust());
          },
          [&daemon] { daemon.reloadSecrets(); });
      continue;
    }
    storegate::logInfo("daemon", "stopping", {{"signal", strsignal(sig)}});
    break;
  }
  storegate::sdNotify("STOPPING=1");
  daemon.stop();
  storegate::logInfo("daemon", "stopped cleanly");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives every thread that allocates an arena of its own; with RocksDB's threads,
  // delivery workers and plugins that fragmentation cost ~15 MB of RSS while draining a
  // 10M-event backlog. Four arenas keep the drain speed (two cost 60% of it); see
  // docs/benchmarks.md.
  mallopt(M_ARENA_MAX, 4);
  std::filesystem::path config_path = "/etc/storegate/storegate.yaml";
  bool check = false;
  bool list = false;
  bool accept_buffer_loss = false;
  std::string schema_of;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else if (arg == "--check-config") {
      check = true;
    } else if (arg == "--accept-buffer-loss") {
      accept_buffer_loss = true;
    } else if (arg == "--list-plugins") {
      list = true;
    } else if (arg == "--plugin-schema" && i + 1 < argc) {
      schema_of = argv[++i];
    } else if (arg == "--version") {
      std::cout << "storegated " STOREGATE_VERSION " (plugin ABI "
                << storegate::abiVersionText(storegate::kHostAbiMin) << ".."
                << storegate::abiVersionText(storegate::kHostAbiMax) << ")\n";
      return kExitOk;
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return kExitOk;
    } else {
      std::cerr << "storegated: unknown argument '" << arg << "'\n";
      usage(std::cerr);
      return kExitConfig;
    }
  }
  if (list) return listPlugins(config_path);
  if (!schema_of.empty()) return pluginSchema(config_path, schema_of);
  if (check) {
    storegate::ConfigErrors errors;
    if (!storegate::loadAndValidate(config_path, defaultPluginDirs(), errors)) {
      printErrors(errors, config_path);
      return kExitConfig;
    }
    std::cout << config_path.string() << ": valid\n";
    return kExitOk;
  }
  return run(config_path, accept_buffer_loss);
}
