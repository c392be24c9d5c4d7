// How long the oldest call into the buffer that may wait on the disk has been running, for
// the watchdog. A frozen disk catches whichever thread touches it first: the writer in a
// commit, but also a caller in a dedup lookup, a sink in a read or a cursor commit, the
// maintenance thread in a trim. Watching only the writer let the pings go on while every
// caller hung.
//
// Threading: lock-free; any thread may track a call and any thread may read oldest().
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace storegate {

class DiskCalls {
 public:
  // Marks one call as running until it goes out of scope. Beyond kSlots concurrent calls
  // the extra ones go untracked (the tracked ones still show a hang).
  class Scope {
   public:
    explicit Scope(DiskCalls& calls) : calls_(calls) {
      const int64_t now = nowNs() | 1;  // never 0, the free mark
      for (size_t i = 0; i < kSlots; ++i) {
        int64_t free = 0;
        if (calls_.since_[i].compare_exchange_strong(free, now)) {
          slot_ = i;
          return;
        }
      }
    }
    ~Scope() {
      if (slot_ != kSlots) calls_.since_[slot_].store(0);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    DiskCalls& calls_;
    size_t slot_ = kSlots;
  };

  // Zero when no call is running.
  [[nodiscard]] std::chrono::milliseconds oldest() const {
    int64_t first = 0;
    for (const auto& s : since_) {
      const int64_t v = s.load();
      if (v != 0 && (first == 0 || v < first)) first = v;
    }
    if (first == 0) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(nowNs() - first));
  }

 private:
  static constexpr size_t kSlots = 64;
  static int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::array<std::atomic<int64_t>, kSlots> since_{};
};

}  // namespace storegate
