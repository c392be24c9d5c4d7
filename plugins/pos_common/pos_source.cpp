// Receipt events and quarantine files shared by the POS adapters.
#include "pos_source.hpp"

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
  host.warn(std::to_string(rejected.size()) + " receipts quarantined to " + base.string() +
            ", first: " + rejected.front().where + ": " + rejected.front().reason);
  return base;
}

}  // namespace storegate::plugins::pos
