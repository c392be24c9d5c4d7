// A volatile EventBuffer and StateStore held in memory: for unit tests and for
// `durability: none` runs where losing everything on restart is acceptable.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "buffer/event_buffer.hpp"

namespace storegate {

class MemoryBuffer final : public EventBuffer, public StateStore {
 public:
  // `max_events`: when exceeded the oldest events are dropped (and counted).
  explicit MemoryBuffer(size_t max_events = 1'000'000) : max_events_(max_events) {}

  Status append(std::span<Event> events) override;
  std::vector<Event> readAfter(uint64_t after, size_t max_events, size_t max_bytes) override;
  bool waitForMore(uint64_t after, std::chrono::milliseconds timeout) override;
  void wakeAll() override;
  void registerSink(std::string_view sink) override;
  void unregisterSink(std::string_view sink) override;
  std::vector<std::string> retainingSinks() override;
  uint64_t cursor(std::string_view sink) override;
  Status commitCursor(std::string_view sink, uint64_t sequence) override;
  Status deadLetter(std::string_view sink, const Event& event, std::string_view reason) override;
  BufferStats stats() override;

  std::optional<std::string> get(std::string_view ns, std::string_view key) override;
  Status put(std::string_view ns, std::string_view key, std::string_view value) override;
  Status erase(std::string_view ns, std::string_view key) override;

  // Every event still held, for tests.
  [[nodiscard]] std::vector<Event> snapshot();

 private:
  void trimLocked();

  std::mutex mu_;
  std::condition_variable more_;
  std::deque<Event> events_;  // events_[i].sequence == first_ + i
  uint64_t next_sequence_ = 1;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
  uint64_t generation_ = 0;  // bumped by wakeAll
  size_t max_events_;
  std::map<std::string, uint64_t, std::less<>> cursors_;
  std::map<std::string, bool, std::less<>> active_;
  std::map<std::string, std::string, std::less<>> state_;
  std::vector<std::pair<Event, std::string>> dead_letters_;
};

}  // namespace storegate
