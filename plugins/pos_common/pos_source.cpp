// Receipt events and quarantine files shared by the POS adapters.
#include "pos_source.hpp"

#include <algorithm>
#include <fstream>

namespace storegate::plugins::pos {

std::vector<sdk::Event> toEvents(const std::vector<Receipt>& receipts) {
  std::vector<sdk::Event> events;
  events.reserve(receipts.size());
  for (const Receipt& r : receipts) {
    sdk::Event e;
    e.type = "store.pos.receipt";
    e.subject = "till-" + r.till;
    e.dedupkey = r.dedupKey();
    e.data = r.toJson().dump();
    events.push_back(std::move(e));
  }
  return events;
}

size_t pruneQuarantine(const std::filesystem::path& dir, uint64_t max_bytes) {
  namespace fs = std::filesystem;
  struct File {
    fs::file_time_type at;
    fs::path path;
    uint64_t size;
  };
  std::vector<File> files;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".rejected") == std::string::npos || !it->is_regular_file(ec)) continue;
    const uint64_t size = it->file_size(ec);
    if (ec) continue;
    files.push_back({it->last_write_time(ec), it->path(), size});
    total += size;
  }
  if (total <= max_bytes) return 0;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) {
    return a.at != b.at ? a.at < b.at : a.path < b.path;
  });
  size_t removed = 0;
  for (const File& f : files) {
    if (total <= max_bytes) break;
    if (fs::remove(f.path, ec)) {
      total -= f.size;
      ++removed;
    }
  }
  return removed;
}

std::filesystem::path freeName(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::path target = dir / name;
  for (int n = 1; std::filesystem::exists(target); ++n)
    target = dir / (name + "." + std::to_string(n));
  return target;
}

std::filesystem::path quarantine(const sdk::Host& host, const std::filesystem::path& dir,
                                 const std::string& name, const std::vector<Rejected>& rejected) {
  const auto base = freeName(dir, name + ".rejected");
  {
    std::ofstream raw(base);
    std::ofstream why(base.string() + ".reason");
    for (const Rejected& r : rejected) {
      raw << r.raw;
      why << r.where << ": " << r.reason << "\n";
    }
  }
  host.counterAdd("receipts_quarantined", static_cast<double>(rejected.size()));
  if (const size_t removed = pruneQuarantine(dir, kQuarantineMaxBytes); removed > 0)
    host.counterAdd("quarantine_files_removed", static_cast<double>(removed));
  host.warn(std::to_string(rejected.size()) + " receipts quarantined to " + base.string() +
            ", first: " + rejected.front().where + ": " + rejected.front().reason);
  return base;
}

}  // namespace storegate::plugins::pos
