#include "plugin_bench.hpp"

#include <stdexcept>
#include <thread>

namespace storegate::bench {

PluginBench::PluginBench(const std::filesystem::path& dir) {
  BufferOptions o;
  o.quota_bytes = 0;
  o.disk_min_free_bytes = 0;
  o.disk_resume_free_bytes = 0;
  std::string error;
  buffer = RocksBuffer::open(dir / "buffer", o, error);
  if (!buffer) throw std::runtime_error(error);
  ingest = std::make_unique<Ingest>(*buffer, "bench");
  plugins = std::make_unique<PluginManager>(
      std::vector<std::filesystem::path>{STOREGATE_BUNDLED_PLUGIN_DIR},
      HostServices{ingest.get(), buffer.get(), "bench"}, *buffer, /*trust=*/nullptr);
}

PluginBench::~PluginBench() {
  plugins.reset();
  ingest.reset();
  buffer.reset();
}

bool PluginBench::waitFor(uint64_t n, std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer->stats().last_sequence < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return buffer->stats().last_sequence >= n;
}

}  // namespace storegate::bench
