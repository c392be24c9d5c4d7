// The delivery loop: read after cursor → deliver → advance cursor, with backoff.
#include "delivery/sink_worker.hpp"

#include <random>

#include "common/log.hpp"

namespace storegate {

SinkWorker::SinkWorker(std::string sink_name, std::shared_ptr<InstanceSlot> slot,
                       EventBuffer& buffer, DeliveryOptions options)
    : sink_name_(std::move(sink_name)), slot_(std::move(slot)), buffer_(buffer), options_(options) {
  thread_ = std::thread([this] { run(); });
}

SinkWorker::~SinkWorker() {
  stop();
}

void SinkWorker::stop() {
  if (stopping_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  { std::lock_guard lock(sleep_mu_); }
  sleep_cv_.notify_all();
  buffer_.wakeAll();
  if (thread_.joinable()) thread_.join();
}

void SinkWorker::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(sleep_mu_);
  sleep_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void SinkWorker::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::chrono::milliseconds backoff = options_.initial_backoff;
  buffer_.registerSink(sink_name_);
  uint64_t cursor = buffer_.cursor(sink_name_);
  while (!stopping_.load()) {
    std::vector<Event> batch =
        buffer_.readAfter(cursor, options_.max_batch_events, options_.max_batch_bytes);
    if (batch.empty()) {
      buffer_.waitForMore(cursor, std::chrono::milliseconds(200));
      continue;
    }
    std::vector<sg_event> views;
    views.reserve(batch.size());
    for (const Event& e : batch) views.push_back(e.view());

    sg_delivery_result result{};
    sg_status status = SG_ERR_CLOSED;
    {
      std::lock_guard lock(slot_->mu);
      if (slot_->instance) status = slot_->instance->deliver(views, result);
    }
    const size_t accepted =
        status == SG_OK ? batch.size() : std::min(result.accepted, batch.size());
    if (accepted > 0) {
      cursor = batch[accepted - 1].sequence;
      if (Status s = buffer_.commitCursor(sink_name_, cursor); !s.ok()) {
        logError("delivery", "cannot advance cursor", {{"sink", sink_name_}, {"error", s.message}});
      }
      delivered_.fetch_add(accepted);
    }
    if (status == SG_OK) {
      backoff = options_.initial_backoff;
      continue;
    }
    if (status == SG_ERR_REJECTED && accepted < batch.size()) {
      const Event& bad = batch[accepted];
      std::string reason;
      {
        std::lock_guard lock(slot_->mu);
        reason = slot_->instance ? slot_->instance->lastError() : "";
      }
      (void)buffer_.deadLetter(sink_name_, bad, reason.empty() ? "rejected by sink" : reason);
      cursor = bad.sequence;
      (void)buffer_.commitCursor(sink_name_, cursor);
      dead_lettered_.fetch_add(1);
      logWarn("delivery", "event dead-lettered",
              {{"sink", sink_name_},
               {"event_id", bad.id},
               {"sequence", std::to_string(bad.sequence)},
               {"reason", reason}});
      continue;
    }
    failures_.fetch_add(1);
    std::chrono::milliseconds wait = backoff;
    if (status == SG_ERR_RETRY && result.retry_after_ms > 0) {
      wait = std::chrono::milliseconds(result.retry_after_ms);
    } else {
      // Full jitter between half the backoff and the backoff.
      std::uniform_int_distribution<int64_t> d(backoff.count() / 2, backoff.count());
      wait = std::chrono::milliseconds(d(rng));
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    logDebug("delivery", "delivery not accepted, backing off",
             {{"sink", sink_name_},
              {"status", statusName(status)},
              {"accepted", std::to_string(accepted)},
              {"wait_ms", std::to_string(wait.count())}});
    pause(wait);
  }
}

}  // namespace storegate
