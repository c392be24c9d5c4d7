// The one path from a plugin's emit() to the EventBuffer: copies the borrowed events,
// fills the attributes the host owns, validates, and appends them as one unit.
#pragma once

#include <atomic>
#include <functional>
#include <span>
#include <string>

#include "buffer/event_buffer.hpp"

namespace storegate {

struct IngestLimits {
  size_t max_data_bytes = 1 << 20;  // one event's data
  size_t max_batch_events = 100'000;
};

class Ingest {
 public:
  Ingest(EventBuffer& buffer, std::string store_id, IngestLimits limits = {});

  // `source` is the emitting instance's name, used when the event names none.
  // SG_ERR_INVALID names the first bad event and what is wrong with it; nothing of the
  // batch is stored then.
  Status emit(std::string_view source, std::span<const sg_event> events);

  [[nodiscard]] uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  [[nodiscard]] EventBuffer& buffer() { return buffer_; }
  // Called with every batch once it is stored, on the emitting thread (keep it cheap).
  // Set it before any plugin runs; it is not synchronized against emit().
  using Observer = std::function<void(std::span<const Event>)>;
  void setObserver(Observer observer) { observer_ = std::move(observer); }

 private:
  [[nodiscard]] std::string nextId();

  EventBuffer& buffer_;
  std::string store_id_;
  IngestLimits limits_;
  std::string id_prefix_;
  std::atomic<uint64_t> id_counter_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};
  Observer observer_;
};

// Why an event cannot be accepted, or empty when it can. Exposed for tests.
[[nodiscard]] std::string validateEvent(const Event& e, const IngestLimits& limits);

}  // namespace storegate
