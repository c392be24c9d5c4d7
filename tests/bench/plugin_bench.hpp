// What the plugin benchmarks share: the real plugin host over a RocksDB buffer (sync
// mode, no quota or disk watermarks), torn down in order: plugins, ingest, buffer.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "buffer/rocksdb_buffer.hpp"
#include "plugin/manager.hpp"

namespace storegate::bench {

struct PluginBench {
  explicit PluginBench(const std::filesystem::path& dir);
  ~PluginBench();
  PluginBench(const PluginBench&) = delete;
  PluginBench& operator=(const PluginBench&) = delete;

  // Waits until the buffer holds `n` events; false on timeout.
  bool waitFor(uint64_t n, std::chrono::seconds timeout = std::chrono::seconds(300)) const;

  std::unique_ptr<RocksBuffer> buffer;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<PluginManager> plugins;
};

}  // namespace storegate::bench
