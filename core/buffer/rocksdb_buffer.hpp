// The durable event log: one RocksDB database under data_dir.
//
// Column families: `events` (big-endian sequence → binary envelope), `cursors` (sink →
// last acknowledged sequence), `state` (instance\0key → value), `dedup` (dedupkey →
// sequence + time), `dead_letters` and `quarantine` (sequence → record + reason), and
// `default` for meta (the last sequence ever assigned, so numbers never repeat even when
// every event has been trimmed).
//
// Writes: one writer thread takes every append waiting in the queue and commits them as
// one WriteBatch (group commit). In `sync` mode the batch is fsynced before any of its
// callers returns; in `batch` mode the WAL is fsynced every batch_sync_interval; in
// `none` never by us. Sequence numbers are assigned by the writer, so they are strictly
// increasing in commit order, and readers see a sequence only after its batch committed.
//
// A maintenance thread trims what every active sink has acknowledged (DeleteRange, then
// compaction of the trimmed prefix so tombstones never slow reads), expires dedup keys,
// syncs the WAL in `batch` mode and watches free disk space.
//
// Beside the database, `ACKNOWLEDGED` (acked_mark.hpp) records how far durability was
// promised: a start that finds fewer events than that (the disk lost the log's tail) is
// refused, naming the missing sequences, unless BufferOptions::accept_loss says go on.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <set>
#include <thread>

#include "buffer/acked_mark.hpp"
#include "buffer/buffer_options.hpp"
#include "buffer/disk_calls.hpp"
#include "buffer/event_buffer.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace storegate {

class RocksBuffer final : public EventBuffer, public StateStore {
 public:
  // Free bytes on the file system holding `dir`; replaceable in tests (a fake disk).
  using FreeSpaceProbe = std::function<uint64_t(const std::filesystem::path&)>;

  // Opens or creates the database in `dir`. A corrupt or locked database is an error that
  // says what to do; nothing is deleted and nothing starts empty in its place.
  [[nodiscard]] static std::unique_ptr<RocksBuffer> open(const std::filesystem::path& dir,
                                                         const BufferOptions& options,
                                                         std::string& error,
                                                         FreeSpaceProbe probe = {});
  ~RocksBuffer() override;

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

  // One pass of trimming, dedup expiry, WAL sync and disk watch. Runs on the maintenance
  // thread; public so tests can drive it deterministically.
  void maintain();
  // Writes the buffer's metrics (RocksDB memory and disk included).
  void collect(MetricWriter& w);
  [[nodiscard]] const Histogram& commitLatency() const { return commit_latency_; }
  // Dead letters and quarantined records, oldest first, for inspection.
  [[nodiscard]] std::vector<std::pair<uint64_t, std::string>> listDeadLetters(size_t max);

  struct DeadLetter {
    std::string sink;
    uint64_t sequence = 0;
    std::string reason;
    Event event;
  };
  [[nodiscard]] std::vector<DeadLetter> deadLetters(size_t max);
  // Takes one dead letter out of the column family: `retry` appends its event again (a
  // new sequence, the same id — sinks that had it already may see it twice), else it is
  // discarded. SG_ERR_NOT_FOUND when there is no such dead letter.
  Status resolveDeadLetter(std::string_view sink, uint64_t sequence, bool retry);
  // Moves a sink's cursor back (replay). Only while its delivery worker is stopped.
  Status rewindCursor(std::string_view sink, uint64_t to);
  [[nodiscard]] std::vector<std::pair<uint64_t, std::string>> listQuarantine(size_t max);
  [[nodiscard]] uint64_t writeAmplificationBytes();  // WAL + flush + compaction bytes written
  [[nodiscard]] bool quotaBlocked() const { return quota_blocked_.load(); }
  // How long the writer has been inside its current group commit (zero when it waits for
  // work): the watchdog stops pinging when this grows, so a hung disk restarts the daemon.
  [[nodiscard]] std::chrono::milliseconds writerBusyFor() const;
  // How long the oldest call that may wait on the disk (append, read, cursor commit, state,
  // a maintenance pass) has run; zero when none runs. For the watchdog (disk_calls.hpp).
  [[nodiscard]] std::chrono::milliseconds oldestDiskCall() const { return disk_calls_.oldest(); }
  // True when this open found acknowledged events missing and went on (accept_loss).
  [[nodiscard]] bool acceptedLoss() const { return accepted_loss_; }
  // How far the acknowledged mark has been written (0 without a mark file).
  [[nodiscard]] AckedMark::Value ackedMark() const;

 private:
  // One append waiting for its group commit. The writer fills `status` and releases the
  // group's first `done`; each woken caller releases the next: no herd on a shared mutex,
  // and no per-caller system call on the writer's critical path.
  struct Request {
    explicit Request(std::span<Event> e) : events(e) {}
    std::span<Event> events;
    std::vector<std::string> encoded;  // envelopes, one per event
    Status status;
    std::binary_semaphore done{0};
    Request* wake_next = nullptr;  // the next caller of the same group, woken by this one
  };
  struct Plan;

  RocksBuffer(std::filesystem::path dir, BufferOptions options, FreeSpaceProbe probe);
  Status openDb();
  Status recover();
  // Opens the acknowledged mark and checks the recovered log against it (see acked_mark.hpp).
  Status checkAcknowledged(uint64_t& last);
  // Moves the mark's acknowledged field to what is durable now (sync and batch modes).
  void advanceMark(uint64_t durable);
  void writerLoop();
  void maintenanceLoop();
  void commitGroup(std::vector<Request*>& group);
  bool planRequest(Request& r, Plan& plan);
  bool planDrops(uint64_t needed, Plan& plan);
  void quarantine(uint64_t sequence, const std::string& raw, const std::string& why);
  void trim();
  void expireDedup();
  void watchDisk();
  // Notes a failed write (see write_failed_) and returns the status unchanged.
  rocksdb::Status noted(rocksdb::Status s);
  // Resume() is not tried with less free space than this, whatever the watermarks say: it
  // needs room for a new log file, and a failing try every tick only fills the log.
  static constexpr uint64_t kResumeMinFree = 1 << 20;
  // Room kept in `<dir>.reserve` for opening the buffer on a disk filled to the last byte.
  static constexpr size_t kReserveBytes = 1 << 20;
  rocksdb::WriteOptions writeOptions() const;
  uint64_t slowestActiveCursor();

  const std::filesystem::path dir_;
  const BufferOptions options_;
  FreeSpaceProbe probe_;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* cursors_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  rocksdb::ColumnFamilyHandle* dedup_ = nullptr;
  rocksdb::ColumnFamilyHandle* dead_ = nullptr;
  rocksdb::ColumnFamilyHandle* quarantine_ = nullptr;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::shared_ptr<rocksdb::Statistics> statistics_;

  // Group commit queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Request*> queue_;
  bool stopping_ = false;

  // Log positions. last_sequence_ is the writer's; committed_ is what readers may see.
  uint64_t last_sequence_ = 0;
  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> first_live_{1};  // no live event below this
  std::mutex more_mu_;
  std::condition_variable more_cv_;
  uint64_t wake_generation_ = 0;

  // Space: bytes of live events (keys + values). The writer's drops and the trimmer
  // both delete from the front; space_mu_ keeps their accounting from crossing.
  std::mutex space_mu_;
  std::atomic<uint64_t> live_bytes_{0};
  std::atomic<uint64_t> front_mutations_{0};  // quota drops and quarantines, for trim()
  std::atomic<bool> disk_paused_{false};
  std::atomic<bool> write_failed_{false};  // a write failed (I/O, no space): see noted()
  LogThrottle resume_warnings_{std::chrono::seconds(60)};
  std::atomic<bool> quota_blocked_{false};  // for logging the transitions only
  std::atomic<uint64_t> last_free_bytes_{0};

  std::mutex cursor_mu_;
  std::map<std::string, uint64_t, std::less<>> cursors_;
  std::set<std::string, std::less<>> active_sinks_;

  std::mutex quarantine_mu_;
  std::set<uint64_t> quarantined_;

  // Counters.
  std::atomic<uint64_t> events_in_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> dedup_hits_{0};
  std::atomic<uint64_t> quarantined_count_{0};
  std::atomic<uint64_t> dead_letters_{0};
  std::atomic<uint64_t> backpressure_{0};
  std::atomic<uint64_t> trimmed_{0};
  std::atomic<uint64_t> trimmed_since_compaction_{0};
  std::atomic<uint64_t> wal_sync_failures_{0};
  std::atomic<bool> wal_sync_failing_{false};  // for logging the transitions only
  DiskCalls disk_calls_;
  std::atomic<int64_t> writer_busy_since_ns_{0};  // steady clock; 0 while the writer waits
  uint64_t compacted_upto_ = 0;                   // maintenance thread only
  Histogram commit_latency_;
  Histogram group_size_;  // events per group commit, recorded as "seconds" = count / 1e6

  std::thread writer_;
  std::thread maintenance_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  std::chrono::steady_clock::time_point last_wal_sync_{};
  std::chrono::steady_clock::time_point last_dedup_expiry_{};

  // The acknowledged mark (null when its file cannot be opened: a warning, not a stop).
  std::unique_ptr<AckedMark> mark_;
  // Sequences are reserved in the mark this far ahead of the writer, one fsync per step.
  static constexpr uint64_t kReserveStep = 100'000;
  uint64_t reserved_ = 0;             // writer thread only (after open)
  std::atomic<uint64_t> durable_{0};  // highest sequence synced and acknowledged
  std::chrono::steady_clock::time_point last_mark_write_{};  // writer thread only
  LogThrottle mark_warnings_{std::chrono::seconds(60)};
  bool accepted_loss_ = false;
};

// Big-endian 8-byte keys keep RocksDB's bytewise order equal to numeric order.
[[nodiscard]] std::string sequenceKey(uint64_t sequence);
[[nodiscard]] uint64_t sequenceFromKey(std::string_view key);

}  // namespace storegate
