// In-memory event log: trimmed below the slowest cursor, capped by event count.
#include "buffer/memory_buffer.hpp"

#include <algorithm>

namespace storegate {

Status MemoryBuffer::append(std::span<Event> events) {
  {
    std::lock_guard lock(mu_);
    for (Event& e : events) {
      e.sequence = next_sequence_++;
      bytes_ += e.approximateSize();
      events_.push_back(e);
    }
    while (events_.size() > max_events_) {
      bytes_ -= events_.front().approximateSize();
      events_.pop_front();
      ++dropped_;
    }
  }
  more_.notify_all();
  return Status::success();
}

std::vector<Event> MemoryBuffer::readAfter(uint64_t after, size_t max_events, size_t max_bytes) {
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  if (events_.empty() || max_events == 0) return out;
  const uint64_t first = events_.front().sequence;
  size_t index = after < first ? 0 : static_cast<size_t>(after - first + 1);
  size_t bytes = 0;
  for (; index < events_.size() && out.size() < max_events; ++index) {
    const size_t size = events_[index].approximateSize();
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    out.push_back(events_[index]);
  }
  return out;
}

bool MemoryBuffer::waitForMore(uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t generation = generation_;
  more_.wait_for(lock, timeout,
                 [&] { return next_sequence_ - 1 > after || generation_ != generation; });
  return next_sequence_ - 1 > after;
}

void MemoryBuffer::wakeAll() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  more_.notify_all();
}

void MemoryBuffer::registerSink(std::string_view sink) {
  std::lock_guard lock(mu_);
  if (cursors_.find(sink) == cursors_.end()) cursors_.emplace(std::string(sink), 0);
  if (!isInternalReader(sink)) active_[std::string(sink)] = true;
}

void MemoryBuffer::unregisterSink(std::string_view sink) {
  std::lock_guard lock(mu_);
  active_[std::string(sink)] = false;
}

std::vector<std::string> MemoryBuffer::retainingSinks() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, active] : active_)
    if (active) out.push_back(name);
  return out;
}

uint64_t MemoryBuffer::cursor(std::string_view sink) {
  std::lock_guard lock(mu_);
  const auto it = cursors_.find(sink);
  return it == cursors_.end() ? 0 : it->second;
}

Status MemoryBuffer::commitCursor(std::string_view sink, uint64_t sequence) {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(sink);
  if (it == cursors_.end()) it = cursors_.emplace(std::string(sink), 0).first;
  if (sequence < it->second) {
    return Status::invalid("cursor of sink '" + std::string(sink) + "' cannot move back from " +
                           std::to_string(it->second) + " to " + std::to_string(sequence));
  }
  it->second = sequence;
  trimLocked();
  return Status::success();
}

void MemoryBuffer::trimLocked() {
  if (cursors_.empty()) return;
  uint64_t slowest = UINT64_MAX;
  for (const auto& [name, seq] : cursors_) {
    const auto a = active_.find(name);
    if (a == active_.end() || a->second) slowest = std::min(slowest, seq);
  }
  if (slowest == UINT64_MAX) return;
  while (!events_.empty() && events_.front().sequence <= slowest) {
    bytes_ -= events_.front().approximateSize();
    events_.pop_front();
  }
}

Status MemoryBuffer::deadLetter(std::string_view, const Event& event, std::string_view reason) {
  std::lock_guard lock(mu_);
  dead_letters_.emplace_back(event, std::string(reason));
  return Status::success();
}

BufferStats MemoryBuffer::stats() {
  std::lock_guard lock(mu_);
  BufferStats s;
  s.first_sequence = events_.empty() ? 0 : events_.front().sequence;
  s.last_sequence = next_sequence_ - 1;
  s.events = events_.size();
  s.bytes = bytes_;
  s.dropped = dropped_;
  s.events_in = next_sequence_ - 1;
  s.dead_letters = dead_letters_.size();
  return s;
}

std::vector<Event> MemoryBuffer::snapshot() {
  std::lock_guard lock(mu_);
  return {events_.begin(), events_.end()};
}

std::optional<std::string> MemoryBuffer::get(std::string_view ns, std::string_view key) {
  std::lock_guard lock(mu_);
  const auto it = state_.find(stateKey(ns, key));
  if (it == state_.end()) return std::nullopt;
  return it->second;
}

Status MemoryBuffer::put(std::string_view ns, std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  state_[stateKey(ns, key)] = std::string(value);
  return Status::success();
}

Status MemoryBuffer::erase(std::string_view ns, std::string_view key) {
  std::lock_guard lock(mu_);
  state_.erase(stateKey(ns, key));
  return Status::success();
}

}  // namespace storegate
