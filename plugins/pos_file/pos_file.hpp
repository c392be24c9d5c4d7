// pos_file: turns receipt exports dropped into a folder into store.pos.receipt events.
// A file is read once it has stopped changing for `settle_time` (so files written in
// place are not read half-written) or as soon as it is moved in; names starting with '.'
// or ending in .tmp/.part are ignored. Progress within a file is kept in the host's state,
// so a restart resumes after the last receipt emitted; dedup keys (till/receipt number)
// absorb the rest. Bad records go to the quarantine folder with a reason file; the rest of
// the file is kept.
#pragma once

#include <filesystem>
#include <map>
#include <storegate/sdk.hpp>

#include "pos_source.hpp"  // pos_common

namespace storegate::plugins::pos_file {
using namespace storegate::plugins::pos;

struct Settings {
  std::filesystem::path dir;
  std::filesystem::path done_dir;
  std::filesystem::path quarantine_dir;
  std::string format;  // auto | csv | json
  bool keep;           // after: keep (remember in state) instead of move to done/
  std::chrono::milliseconds poll_interval;
  std::chrono::milliseconds settle_time;
  uint64_t max_file_size;
  size_t batch;
  ParseOptions parse;

  static Settings from(const sdk::Config& c);
};

class PosFile final : public sdk::Plugin {
 public:
  PosFile(sdk::Host host, const sdk::Config& config);
  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;

 private:
  struct Seen {
    uint64_t size = 0;
    std::filesystem::file_time_type mtime{};
    std::chrono::steady_clock::time_point stable_since{};
  };
  enum class Outcome { Done, Later };

  // One scan of the folder; throws when the buffer refused receipts (file kept, retried).
  bool scan();
  Outcome process(const std::filesystem::path& file, const std::string& identity);
  void quarantineWhole(const std::filesystem::path& file, const std::string& reason);
  void finish(const std::filesystem::path& file, const std::string& identity);

  const Settings settings_;
  std::map<std::string, Seen> seen_;  // poller thread only
  Poller poller_;
};

}  // namespace storegate::plugins::pos_file
