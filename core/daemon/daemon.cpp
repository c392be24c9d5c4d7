// Start, reload-as-differences and ordered shutdown of the gateway.
#include "daemon/daemon.hpp"

#include <set>

#include "common/log.hpp"

namespace storegate {

std::vector<std::filesystem::path> effectivePluginDirs(
    const GatewayConfig& config, const std::vector<std::filesystem::path>& defaults) {
  return config.plugin_dirs.empty() ? defaults : config.plugin_dirs;
}

std::optional<GatewayConfig> loadAndValidate(const std::filesystem::path& file,
                                             const std::vector<std::filesystem::path>& defaults,
                                             ConfigErrors& errors) {
  auto config = loadConfigFile(file, errors);
  if (!config) return std::nullopt;
  MemoryBuffer scratch;
  Ingest ingest(scratch, config->store_id);
  PluginManager checker(effectivePluginDirs(*config, defaults),
                        HostServices{&ingest, &scratch, config->store_id}, scratch);
  for (const InstanceSpec& spec : config->plugins) {
    if (!spec.enabled) continue;
    ConfigErrors found = checker.validate(spec);
    errors.insert(errors.end(), found.begin(), found.end());
  }
  if (!errors.empty()) return std::nullopt;
  return config;
}

Daemon::Daemon(GatewayConfig config, std::vector<std::filesystem::path> default_plugin_dirs)
    : config_(std::move(config)) {
  buffer_ = std::make_unique<MemoryBuffer>();
  ingest_ = std::make_unique<Ingest>(*buffer_, config_.store_id);
  plugins_ = std::make_unique<PluginManager>(
      effectivePluginDirs(config_, default_plugin_dirs),
      HostServices{ingest_.get(), buffer_.get(), config_.store_id}, *buffer_);
}

Daemon::~Daemon() {
  stop();
}

Status Daemon::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    return Status::failed("cannot create data_dir '" + config_.data_dir.string() + "': " +
                          ec.message() + " (create it, or point data_dir at a writable directory)");
  }
  logInfo("daemon", "starting",
          {{"store_id", config_.store_id},
           {"data_dir", config_.data_dir.string()},
           {"instances", std::to_string(config_.plugins.size())}});
  size_t failed = 0;
  for (const InstanceSpec& spec : config_.plugins) {
    if (!spec.enabled) continue;
    if (!plugins_->add(spec).ok()) ++failed;
  }
  logInfo("daemon", "started",
          {{"running", std::to_string(config_.plugins.size() - failed)},
           {"failed", std::to_string(failed)}});
  return Status::success();
}

void Daemon::reload(const GatewayConfig& next) {
  if (next.store_id != config_.store_id || next.data_dir != config_.data_dir ||
      next.plugin_dirs != config_.plugin_dirs || next.buffer.backend != config_.buffer.backend ||
      next.buffer.durability != config_.buffer.durability) {
    logWarn("daemon",
            "store_id, data_dir, plugin_dirs and buffer changes take effect on restart; "
            "kept the running values");
  }
  if (auto err = Logger::instance().configure(next.log)) logError("daemon", *err);

  std::map<std::string, const InstanceSpec*> wanted;
  for (const InstanceSpec& s : next.plugins) {
    if (s.enabled) wanted[s.name] = &s;
  }
  size_t removed = 0, added = 0, changed = 0;
  for (const std::string& name : plugins_->names()) {
    if (wanted.count(name) == 0) {
      (void)plugins_->remove(name);
      ++removed;
    }
  }
  const std::vector<std::string> running = plugins_->names();
  const std::set<std::string> present(running.begin(), running.end());
  for (const auto& [name, spec] : wanted) {
    if (present.count(name) == 0) {
      (void)plugins_->add(*spec);
      ++added;
      continue;
    }
    const auto old = std::find_if(config_.plugins.begin(), config_.plugins.end(),
                                  [&](const InstanceSpec& s) { return s.name == name; });
    if (old == config_.plugins.end() || !(*old == *spec)) {
      (void)plugins_->update(*spec);
      ++changed;
    }
  }
  GatewayConfig kept = next;
  kept.store_id = config_.store_id;
  kept.data_dir = config_.data_dir;
  kept.plugin_dirs = config_.plugin_dirs;
  kept.buffer = config_.buffer;
  config_ = std::move(kept);
  logInfo("daemon", "config reloaded",
          {{"added", std::to_string(added)},
           {"removed", std::to_string(removed)},
           {"changed", std::to_string(changed)}});
}

void Daemon::stop() {
  if (!plugins_) return;
  plugins_->stopAll(std::chrono::seconds(5));
  buffer_->wakeAll();
}

}  // namespace storegate
