// The interfaces between ingest, delivery and storage: the durable event log with its
// per-sink cursors, and the per-instance key/value state. The RocksDB buffer implements
// both; MemoryBuffer is the volatile stand-in for tests and `durability: none` demos.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "event/event.hpp"

namespace storegate {

struct BufferStats {
  uint64_t first_sequence = 0;  // oldest event still held (0 when empty)
  uint64_t last_sequence = 0;   // newest event ever appended
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0;
  uint64_t dead_letters = 0;
  uint64_t dedup_hits = 0;
  uint64_t quarantined = 0;
  uint64_t events_in = 0;
  uint64_t backpressure = 0;
  bool disk_paused = false;
};

// Thread-safe. Sequence numbers start at 1, increase by one per event, never repeat.
class EventBuffer {
 public:
  virtual ~EventBuffer() = default;

  // Appends `events` as one unit and writes their sequence numbers into them. Returns
  // once they are as durable as the buffer's mode promises; on failure none is stored.
  virtual Status append(std::span<Event> events) = 0;

  // Events with sequence > `after`, oldest first: at most `max_events`, and at most
  // `max_bytes` unless the first event alone is larger (it is returned alone).
  [[nodiscard]] virtual std::vector<Event> readAfter(uint64_t after, size_t max_events,
                                                     size_t max_bytes) = 0;

  // Blocks until an event with sequence > `after` exists, `timeout` passes or wakeAll()
  // is called. Returns whether such an event exists.
  virtual bool waitForMore(uint64_t after, std::chrono::milliseconds timeout) = 0;
  virtual void wakeAll() = 0;

  // Cursors named with a leading '_' belong to the core's own readers (remote requests):
  // they are kept across restarts like a sink's but never hold back retention, so they can
  // never keep what no sink wants, nor make the buffer believe a sink exists.
  //
  // Makes a sink known, so retention keeps what it has not acknowledged yet, even before
  // its first commit and across restarts (a persistent buffer remembers it). Idempotent.
  virtual void registerSink(std::string_view sink) = 0;
  // The sink no longer holds back retention (its cursor is kept for when it returns).
  // Only for a sink that is gone from the config: a sink that failed to start, or is
  // restarting, keeps holding its events.
  virtual void unregisterSink(std::string_view sink) = 0;
  // The sinks holding back retention now.
  [[nodiscard]] virtual std::vector<std::string> retainingSinks() = 0;
  // Sinks' cursors: the last sequence a sink acknowledged (0: nothing yet).
  [[nodiscard]] virtual uint64_t cursor(std::string_view sink) = 0;
  virtual Status commitCursor(std::string_view sink, uint64_t sequence) = 0;

  // Keeps an event a sink rejected for good, with the reason, for later inspection.
  virtual Status deadLetter(std::string_view sink, const Event& event, std::string_view reason) = 0;

  [[nodiscard]] virtual BufferStats stats() = 0;
};

// Whether a cursor name is one of the core's own readers (see EventBuffer::registerSink).
[[nodiscard]] inline bool isInternalReader(std::string_view name) {
  return !name.empty() && name.front() == '_';
}

// The storage key of one state entry: the instance's namespace, a NUL, the plugin's key.
[[nodiscard]] inline std::string stateKey(std::string_view ns, std::string_view key) {
  std::string k(ns);
  k.push_back('\0');
  k.append(key);
  return k;
}

// Persistent key/value state, namespaced per plugin instance. Thread-safe.
class StateStore {
 public:
  virtual ~StateStore() = default;
  [[nodiscard]] virtual std::optional<std::string> get(std::string_view ns,
                                                       std::string_view key) = 0;
  virtual Status put(std::string_view ns, std::string_view key, std::string_view value) = 0;
  virtual Status erase(std::string_view ns, std::string_view key) = 0;
};

}  // namespace storegate
