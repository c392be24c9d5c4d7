// file_sink: writes delivered events as CloudEvents JSON Lines to a local file with
// size-based rotation — the sink of the demo, and a local export for integrators.
#pragma once

#include <atomic>
#include <memory>
#include <storegate/sdk.hpp>

#include "rotating_file.hpp"

namespace storegate::plugins::file_sink {

struct Settings {
  std::string path;
  uint64_t max_file_size;
  int max_files;
  bool fsync;

  static Settings from(const sdk::Config& c) {
    return {c.getString("path"), c.getSize("max_file_size"),
            static_cast<int>(c.getInt("max_files")), c.getBool("fsync")};
  }
};

class FileSink final : public sdk::Plugin {
 public:
  FileSink(sdk::Host host, const sdk::Config& config);

  void start() override;
  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override;
  sg_health_level health() override;

 private:
  const Settings settings_;
  std::unique_ptr<RotatingFile> file_;
  std::atomic<bool> last_failed_{false};  // written by deliver, read by health (another thread)
};

}  // namespace storegate::plugins::file_sink
