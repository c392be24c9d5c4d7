// A plugin host on a real RocksDB buffer in a test's directory, for tests that drive
// plugins in-process. Torn down in order: plugins, ingest, buffer.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "buffer/rocksdb_buffer.hpp"
#include "plugin/manager.hpp"

namespace storegate::test {

// Buffer options for tests: no free-space watermarks (shared machines), the given mode.
[[nodiscard]] BufferOptions testBufferOptions(Durability durability);

// A metric an instance reported through host->metric; 0 when it has reported none.
[[nodiscard]] double pluginMetric(PluginManager& manager, const std::string& instance,
                                  const std::string& name);

struct PluginRig {
  PluginRig(const std::filesystem::path& dir, std::vector<std::filesystem::path> plugin_dirs,
            BufferOptions options);
  ~PluginRig();

  std::unique_ptr<RocksBuffer> buffer;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<PluginManager> manager;
};

// The usual rig: the build's bundled plugins over a buffer in `dir`.
[[nodiscard]] std::unique_ptr<PluginRig> bundledPluginRig(const std::filesystem::path& dir,
                                                          Durability durability = Durability::None);

}  // namespace storegate::test
