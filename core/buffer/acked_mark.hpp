// The acknowledged mark: a small file beside the buffer's database that remembers, outside
// RocksDB's own log, how far the buffer has promised durability to its callers.
//
// Why: RocksDB recovers a truncated or damaged newest WAL by stopping at the damage, so a
// disk that lost the log's tail opens "cleanly" with acknowledged events gone and the last
// sequence moved back (numbers would be reused). The mark lets the buffer notice that and
// refuse to start short, naming the missing sequences.
//
// Layout: two 32-byte slots, written alternately, each {magic "SGSGACK2", acknowledged,
// reserved, check} (little-endian u64s; check = the first 8 bytes of SHA-256 of the other
// 24). A torn write can damage only the slot being written; the reader takes the valid slot
// with the higher values. Every store is fdatasynced before it returns.
//
// - acknowledged: every sequence up to it was durable (fsynced) and told to its caller.
// - reserved: no sequence above it has been assigned; the writer moves it ahead in large
//   steps before it assigns past it, so a start after a loss can continue above every number
//   ever handed out.
//
// Threading: store() may be called from any thread (it serializes on its own mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/mutex.hpp"
#include "common/status.hpp"

namespace storegate {

class AckedMark {
 public:
  struct Value {
    uint64_t acknowledged = 0;
    uint64_t reserved = 0;
  };

  // Opens (creating when absent) the mark file at `path`. nullptr with `error` set when it
  // cannot be opened for writing. `found` is the value read, nullopt when the file is new,
  // empty or has no valid slot (`damaged` tells the last apart).
  [[nodiscard]] static std::unique_ptr<AckedMark> open(const std::filesystem::path& path,
                                                       std::optional<Value>& found, bool& damaged,
                                                       std::string& error);
  ~AckedMark();
  AckedMark(const AckedMark&) = delete;
  AckedMark& operator=(const AckedMark&) = delete;

  // Writes `v` durably (into the slot not holding the newest value). Values never move
  // back: a lower field keeps the stored one.
  Status store(Value v) SG_EXCLUDES(mu_);
  [[nodiscard]] Value current() SG_EXCLUDES(mu_);

  // The slot encoding, public for the tests that damage files.
  static constexpr size_t kSlotBytes = 32;
  [[nodiscard]] static std::string encodeSlot(Value v);
  [[nodiscard]] static std::optional<Value> decodeSlot(std::string_view slot);

 private:
  AckedMark(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::filesystem::path path_;
  const int fd_;
  Mutex mu_;
  Value value_ SG_GUARDED_BY(mu_);
  int next_slot_ SG_GUARDED_BY(mu_) = 0;
};

}  // namespace storegate
