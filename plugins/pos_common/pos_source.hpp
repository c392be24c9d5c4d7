// What the POS adapters do the same way once they hold receipts: build the events, write
// rejected records to the quarantine folder, and run a polling thread whose health follows
// the last problem it met.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <storegate/sdk.hpp>
#include <thread>
#include <vector>

#include "receipt.hpp"

namespace storegate::plugins::pos {

// One store.pos.receipt event per receipt: subject till-<till>, dedupkey <till>/<number>.
[[nodiscard]] std::vector<sdk::Event> toEvents(const std::vector<Receipt>& receipts);

// Writes `rejected` to <dir>/<name>.rejected (the records) and .rejected.reason (one
// "where: reason" line each), never overwriting an earlier file, counts them in the
// `receipts_quarantined` metric and logs the first reason. Returns the records' path.
std::filesystem::path quarantine(const sdk::Host& host, const std::filesystem::path& dir,
                                 const std::string& name, const std::vector<Rejected>& rejected);

// A file name in `dir` not taken yet: name, name.1, name.2, ...
[[nodiscard]] std::filesystem::path freeName(const std::filesystem::path& dir,
                                             const std::string& name);

// Runs `poll` on its own thread every `interval` until stop(). `poll` returns true to run
// again at once (more work waiting) and reports trouble by throwing: the message becomes
// the health reason and the instance's last error, logged once per change.
class Poller {
 public:
  Poller(sdk::Host host, std::chrono::milliseconds interval)
      : host_(std::move(host)), interval_(interval) {}
  ~Poller() { stop(); }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void start(std::function<bool()> poll);
  void stop();  // joins the thread
  [[nodiscard]] bool stopping() const;
  [[nodiscard]] sg_health_level health() const;

 private:
  void run();

  const sdk::Host host_;
  const std::chrono::milliseconds interval_;
  std::function<bool()> poll_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace storegate::plugins::pos
