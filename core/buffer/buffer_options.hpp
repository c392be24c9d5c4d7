// Settings of the durable buffer, with router-sized defaults (see docs/configuration.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace storegate {

enum class Durability { Sync, Batch, None };
enum class QuotaPolicy { DropOldest, Block };

struct TypePolicy {
  std::string pattern;  // event type glob, e.g. "store.pos.*"
  QuotaPolicy policy = QuotaPolicy::DropOldest;
};

struct BufferOptions {
  std::string backend = "rocksdb";  // rocksdb | memory (volatile; tests and throwaway demos)
  Durability durability = Durability::Sync;
  std::chrono::milliseconds batch_sync_interval{100};  // `batch`: fsync at least this often

  // RocksDB memory: the block cache plus at most max_write_buffers memtables per column
  // family that is written (events, and rarely the others).
  uint64_t block_cache_bytes = 8ull << 20;
  uint64_t write_buffer_bytes = 4ull << 20;
  int max_write_buffers = 2;
  // Flash wear: caps on the WAL, the info LOG and the MANIFEST.
  uint64_t max_wal_bytes = 32ull << 20;
  uint64_t max_log_file_bytes = 1ull << 20;
  int keep_log_files = 2;
  uint64_t max_manifest_bytes = 4ull << 20;

  uint64_t quota_bytes = 1ull << 30;  // undelivered events; 0: no quota
  QuotaPolicy quota_policy = QuotaPolicy::DropOldest;
  std::vector<TypePolicy> type_policies;  // first match wins; else quota_policy

  std::chrono::milliseconds dedup_window{std::chrono::hours(24)};

  // Free space on the data_dir's file system: ingest pauses below `disk_min_free` and
  // resumes above `disk_resume_free`.
  uint64_t disk_min_free_bytes = 64ull << 20;
  uint64_t disk_resume_free_bytes = 128ull << 20;

  size_t max_group_events = 20'000;  // one group commit's cap
  std::chrono::milliseconds maintenance_interval{500};

  // Start even when acknowledged events are missing from the log (storegated
  // --accept-buffer-loss: an operator's one-shot decision after a damaged disk).
  bool accept_loss = false;

  std::string store_id;  // set by the daemon: stamped on the buffer's own events

  [[nodiscard]] QuotaPolicy policyFor(std::string_view type) const;
};

[[nodiscard]] const char* toString(QuotaPolicy p);
[[nodiscard]] const char* toString(Durability d);

}  // namespace storegate
