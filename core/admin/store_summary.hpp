// Today's store numbers per hour for the console: entries and exits (footfall
// crossings), receipts, member scans, sensor alerts and the conversion rate
// (receipts ÷ entries). Events are counted as they are stored (observe(), from the
// ingest path), and what the buffer already held at start is read back once, in bounded
// steps per request; it holds no cursor, so it never holds back retention.
//
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>

#include "buffer/event_buffer.hpp"

namespace storegate::admin {

class StoreSummary {
 public:
  // Events up to `last_sequence` are in the buffer already (read back by today());
  // later ones come through observe(). Call before any plugin runs.
  void startAfter(uint64_t last_sequence) { backfill_until_ = last_sequence; }
  void observe(std::span<const Event> events);
  // Reads back up to `max_events` events stored before the start, then answers.
  // `now_unix_s` decides "today" (the router's local time zone).
  nlohmann::json today(EventBuffer& buffer, int64_t now_unix_s, size_t max_events = 50'000);

 private:
  struct Hour {
    uint64_t in = 0, out = 0, receipts = 0, member_scans = 0, alerts = 0;
  };
  void add(const Event& e);
  int rollDay(int64_t now_unix_s);  // the hour now
  static int64_t dayOf(int64_t unix_s, int& hour);

  std::mutex mu_;
  uint64_t backfill_after_ = 0;  // read back up to here
  uint64_t backfill_until_ = 0;  // the last sequence stored before the start
  int64_t day_ = -1;             // local day number the hours belong to
  std::array<Hour, 24> hours_{};
};

}  // namespace storegate::admin
