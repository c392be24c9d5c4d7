// The in-process plugin host over RocksDB used by plugin and outage tests.
#include "support/plugin_rig.hpp"

#include <stdexcept>

#include "support/test_support.hpp"

namespace storegate::test {

BufferOptions testBufferOptions(Durability durability) {
  BufferOptions o;
  o.durability = durability;
  o.disk_min_free_bytes = 0;
  o.disk_resume_free_bytes = 0;
  o.store_id = "store-1";
  return o;
}

double pluginMetric(PluginManager& manager, const std::string& instance, const std::string& name) {
  const auto r = manager.get(instance);
  if (!r) return 0;
  const auto it = r->metrics.find(name);
  return it == r->metrics.end() ? 0 : it->second;
}

PluginRig::PluginRig(const std::filesystem::path& dir,
                     std::vector<std::filesystem::path> plugin_dirs, BufferOptions options) {
  std::string error;
  buffer = RocksBuffer::open(dir / "buffer", options, error);
  if (!buffer) throw std::runtime_error(error);
  ingest = std::make_unique<Ingest>(*buffer, options.store_id);
  manager = std::make_unique<PluginManager>(
      std::move(plugin_dirs), HostServices{ingest.get(), buffer.get(), options.store_id}, *buffer,
      /*trust=*/nullptr);
}

PluginRig::~PluginRig() {
  manager.reset();
  ingest.reset();
  buffer.reset();
}

std::unique_ptr<PluginRig> bundledPluginRig(const std::filesystem::path& dir,
                                            Durability durability) {
  return std::make_unique<PluginRig>(dir, std::vector<std::filesystem::path>{pluginDir()},
                                     testBufferOptions(durability));
}

}  // namespace storegate::test
