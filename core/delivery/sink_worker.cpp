// The delivery loop: read after cursor → deliver → advance cursor, with backoff.
#include "delivery/sink_worker.hpp"

#include <random>

#include "common/failpoint.hpp"
#include "common/glob.hpp"
#include "common/log.hpp"
#include "common/thread_guard.hpp"
#include "common/time.hpp"

namespace storegate {

SinkWorker::SinkWorker(std::string sink_name, std::shared_ptr<InstanceSlot> slot,
                       EventBuffer& buffer, DeliveryOptions options)
    : sink_name_(std::move(sink_name)), slot_(std::move(slot)), buffer_(buffer), options_(options) {
  // A failure of the loop itself is logged and counted, and delivery starts again from
  // the durable cursor after a pause: a sink never stops delivering silently.
  thread_ = std::thread([this] {
    while (!stopping_.load() && !runGuarded("sink " + sink_name_, [this] { run(); }))
      pause(std::chrono::seconds(1));
  });
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

bool SinkWorker::wanted(const Event& e) const {
  if (options_.match.empty()) return true;
  for (const std::string& pattern : options_.match) {
    if (globMatch(pattern, e.type)) return true;
  }
  return false;
}

std::vector<Event> SinkWorker::nextBatch(uint64_t cursor) {
  std::vector<Event> batch =
      buffer_.readAfter(cursor, options_.max_batch_events, options_.max_batch_bytes);
  if (batch.empty() || options_.linger.count() == 0) return batch;
  // Linger: give a partial batch a little time to fill, for fewer, larger deliveries.
  const auto deadline = std::chrono::steady_clock::now() + options_.linger;
  size_t bytes = 0;
  for (const Event& e : batch) bytes += e.approximateSize();
  while (batch.size() < options_.max_batch_events && bytes < options_.max_batch_bytes &&
         !stopping_.load()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !buffer_.waitForMore(batch.back().sequence, left)) break;
    auto more = buffer_.readAfter(batch.back().sequence, options_.max_batch_events - batch.size(),
                                  options_.max_batch_bytes - bytes);
    for (Event& e : more) {
      bytes += e.approximateSize();
      batch.push_back(std::move(e));
    }
  }
  return batch;
}

bool SinkWorker::advance(uint64_t& cursor, uint64_t to) {
  if (to <= cursor) return true;
  if (Status s = buffer_.commitCursor(sink_name_, to); !s.ok()) {
    // Logged once per episode: the caller backs off, and a failing disk would flood the log.
    cursor_failures_.fetch_add(1);
    if (!cursor_failing_)
      logError("delivery", "cannot advance cursor; delivered events will be sent again",
               {{"sink", sink_name_}, {"error", s.message}});
    cursor_failing_ = true;
    return false;
  }
  if (cursor_failing_) logInfo("delivery", "cursor commits again", {{"sink", sink_name_}});
  cursor_failing_ = false;
  cursor = to;
  return true;
}

void SinkWorker::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::chrono::milliseconds backoff = options_.initial_backoff;
  buffer_.registerSink(sink_name_);
  uint64_t cursor = buffer_.cursor(sink_name_);
  while (!stopping_.load()) {
    std::vector<Event> batch = nextBatch(cursor);
    if (batch.empty()) {
      const BufferStats st = buffer_.stats();
      if (st.last_sequence > cursor && (st.first_sequence == 0 || st.first_sequence > cursor + 1)) {
        // Newer events exist but none after the cursor: the ones between were dropped
        // (quota drop_oldest) before this sink acknowledged them. Say so and go on.
        const uint64_t to = st.first_sequence == 0 ? st.last_sequence : st.first_sequence - 1;
        logWarn("delivery", "events were dropped before this sink acknowledged them",
                {{"sink", sink_name_},
                 {"from", std::to_string(cursor + 1)},
                 {"to", std::to_string(to)}});
        skipped_.fetch_add(to - cursor);
        if (!advance(cursor, to)) pause(backoff);
        continue;
      }
      buffer_.waitForMore(cursor, std::chrono::milliseconds(200));
      continue;
    }
    // Routing: only the events this sink wants are delivered; the rest are passed over.
    std::vector<const Event*> selected;
    selected.reserve(batch.size());
    for (const Event& e : batch) {
      if (wanted(e)) selected.push_back(&e);
    }
    skipped_.fetch_add(batch.size() - selected.size());
    if (selected.empty()) {
      if (!advance(cursor, batch.back().sequence)) pause(backoff);
      continue;
    }
    std::vector<sg_event> views;
    views.reserve(selected.size());
    for (const Event* e : selected) views.push_back(e->view());

    sg_delivery_result result{};
    sg_status status = SG_ERR_CLOSED;
    std::string reason;
    {
      std::lock_guard lock(slot_->mu);
      if (slot_->instance) {
        const auto t0 = std::chrono::steady_clock::now();
        status = slot_->instance->deliver(views, result);
        deliver_seconds_.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (status != SG_OK) reason = slot_->instance->lastError();
      }
    }
    SG_FAILPOINT("after_deliver_before_cursor");
    const size_t accepted =
        status == SG_OK ? selected.size() : std::min(result.accepted, selected.size());
    delivered_.fetch_add(accepted);
    if (accepted > 0) last_delivery_ns_.store(wallClockNs());
    // Everything before the first unaccepted selected event is done, skipped ones included.
    if (!advance(cursor, accepted == selected.size() ? batch.back().sequence
                                                     : selected[accepted]->sequence - 1)) {
      // Not a hot resend loop: what was delivered goes again only after a backoff.
      pause(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    if (status == SG_OK) {
      consecutive_failures_.store(0);
      backoff = options_.initial_backoff;
      continue;
    }
    if (status == SG_ERR_REJECTED && accepted < selected.size()) {
      const Event& bad = *selected[accepted];
      if (reason.empty()) reason = "rejected by sink";
      if (Status s = buffer_.deadLetter(sink_name_, bad, reason); !s.ok()) {
        logError("delivery", "cannot store dead letter; will retry the event",
                 {{"sink", sink_name_}, {"error", s.message}});
        pause(backoff);
        continue;
      }
      if (!advance(cursor, bad.sequence)) {
        pause(backoff);
        continue;
      }
      dead_lettered_.fetch_add(1);
      logWarn("delivery", "event dead-lettered",
              {{"sink", sink_name_},
               {"event_id", bad.id},
               {"sequence", std::to_string(bad.sequence)},
               {"reason", reason}});
      continue;
    }
    failures_.fetch_add(1);
    consecutive_failures_.fetch_add(1);
    std::chrono::milliseconds wait = backoff;
    if (status == SG_ERR_RETRY && result.retry_after_ms > 0) {
      wait = std::chrono::milliseconds(result.retry_after_ms);
    } else {
      // Jitter between half the backoff and the backoff, so a fleet does not retry in step.
      std::uniform_int_distribution<int64_t> d(backoff.count() / 2, backoff.count());
      wait = std::chrono::milliseconds(d(rng));
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    logDebug("delivery", "delivery not accepted, backing off",
             {{"sink", sink_name_},
              {"status", statusName(status)},
              {"accepted", std::to_string(accepted)},
              {"wait_ms", std::to_string(wait.count())},
              {"reason", reason}});
    pause(wait);
  }
}

}  // namespace storegate
