// Receipt events, quarantine files and the polling thread shared by the POS adapters.
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

void Poller::start(std::function<bool()> poll) {
  poll_ = std::move(poll);
  thread_ = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Poller::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

sg_health_level Poller::health() const {
  std::lock_guard lock(mu_);
  return problem_.empty() ? SG_HEALTH_OK : SG_HEALTH_DEGRADED;
}

void Poller::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool more = false;
    std::string problem;
    try {
      more = poll_();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    lock.lock();
    if (!problem.empty() && problem != problem_) {
      host_.warn(problem + " (retrying)");
      host_.setError(problem);
    }
    problem_ = problem;
    if (!more) wake_.wait_for(lock, interval_, [&] { return stopping_; });
  }
}

}  // namespace storegate::plugins::pos
