// One delivery worker per sink instance: reads the buffer after the sink's cursor, hands
// batches to the sink, advances the cursor durably past what it accepted, and backs off
// (exponentially, with jitter, or as the sink asks) when it does not.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "buffer/event_buffer.hpp"
#include "common/metrics.hpp"
#include "delivery/delivery_options.hpp"
#include "plugin/instance.hpp"

namespace storegate {

// The instance a name currently refers to. Hot swap replaces `instance` under `mu`; the
// worker holds `mu` for each deliver call, so a batch is never split across builds.
struct InstanceSlot {
  std::mutex mu;
  std::shared_ptr<PluginInstance> instance;
};

class SinkWorker {
 public:
  SinkWorker(std::string sink_name, std::shared_ptr<InstanceSlot> slot, EventBuffer& buffer,
             DeliveryOptions options = {});
  ~SinkWorker();  // stops the thread
  SinkWorker(const SinkWorker&) = delete;
  SinkWorker& operator=(const SinkWorker&) = delete;

  void stop();
  [[nodiscard]] uint64_t delivered() const { return delivered_.load(); }
  [[nodiscard]] uint64_t deadLettered() const { return dead_lettered_.load(); }
  [[nodiscard]] uint64_t failures() const { return failures_.load(); }
  [[nodiscard]] uint64_t skipped() const { return skipped_.load(); }
  // Wall-clock time (Unix ns) of the last deliver call the sink accepted in full or in part;
  // 0 when none since this worker started.
  [[nodiscard]] int64_t lastDeliveryUnixNs() const { return last_delivery_ns_.load(); }
  // Deliver calls that failed in a row (0 after any success): the sink's health.
  [[nodiscard]] uint64_t consecutiveFailures() const { return consecutive_failures_.load(); }
  // Cursor commits that failed (the disk): the batch is delivered again after a backoff.
  [[nodiscard]] uint64_t cursorFailures() const { return cursor_failures_.load(); }
  // How long each deliver call took (the sink's round trip to its destination).
  [[nodiscard]] const Histogram& deliverLatency() const { return deliver_seconds_; }

 private:
  void run();
  [[nodiscard]] bool wanted(const Event& e) const;
  std::vector<Event> nextBatch(uint64_t cursor);
  // Commits the cursor; false (logged, counted) when the buffer could not persist it.
  [[nodiscard]] bool advance(uint64_t& cursor, uint64_t to);
  // Sleeps for the backoff unless stopped first.
  void pause(std::chrono::milliseconds d);

  const std::string sink_name_;
  std::shared_ptr<InstanceSlot> slot_;
  EventBuffer& buffer_;
  const DeliveryOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<int64_t> last_delivery_ns_{0};
  std::atomic<uint64_t> consecutive_failures_{0};
  std::atomic<uint64_t> cursor_failures_{0};
  bool cursor_failing_ = false;  // the worker thread's only
  Histogram deliver_seconds_;
  std::thread thread_;
};

}  // namespace storegate
