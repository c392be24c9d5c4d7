// The RocksDB event log: open and recover, group commit, reads, cursors, retention,
// quota, dedup, quarantine and disk watch.
#include "buffer/rocksdb_buffer.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <cstdarg>
#include <cstdio>
#include <unordered_map>

#include "common/failpoint.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/thread_guard.hpp"
#include "common/time.hpp"
#include "event/codec.hpp"

namespace storegate {

std::string sequenceKey(uint64_t sequence) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<size_t>(i)] = static_cast<char>(sequence & 0xFF);
    sequence >>= 8;
  }
  return k;
}

uint64_t sequenceFromKey(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

namespace {

constexpr const char* kLastSequenceKey = "last_sequence";
constexpr size_t kMaxDropScan = 200'000;  // events examined per attempt to make room
constexpr uint64_t kDropReportReserve = 320;
constexpr uint64_t kCompactEvery = 100'000;  // trimmed events between two compactions  // bytes of
                                             // one gateway.buffer.dropped event

std::string toString(const rocksdb::Slice& s) {
  return std::string(s.data(), s.size());
}

uint64_t statvfsFree(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

rocksdb::CompressionType bestCompression() {
  for (rocksdb::CompressionType t : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    for (rocksdb::CompressionType s : rocksdb::GetSupportedCompressions()) {
      if (s == t) return t;
    }
  }
  return rocksdb::kNoCompression;
}

std::string describeOpenError(const std::filesystem::path& dir, const rocksdb::Status& s) {
  const std::string where = "buffer database at " + dir.string();
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return where +
           " is in use by another process (is another storegated running with this "
           "data_dir?): " +
           s.ToString();
  }
  std::error_code ec;
  if (std::filesystem::exists(dir / "CURRENT", ec)) {
    return where + " exists but cannot be opened" + (s.IsCorruption() ? " (it is corrupt)" : "") +
           ": " + s.ToString() +
           ". It was left untouched, and the daemon will not start empty in its place: if the "
           "disk is full or read-only, fix that first; otherwise move it aside (mv " +
           dir.string() + " " + dir.string() +
           ".broken) to start with an empty buffer, or restore it from a backup.";
  }
  return where + " cannot be created: " + s.ToString() +
         " (check that the directory is writable by this user and the disk is not full)";
}

}  // namespace

struct RocksBuffer::Plan {
  rocksdb::WriteBatch batch;
  uint64_t next_sequence = 0;
  uint64_t added_bytes = 0;
  uint64_t dropped_bytes = 0;
  uint64_t dropped_count = 0;
  uint64_t drop_scan_from = 0;
  std::vector<uint64_t> drops;  // ascending
  std::unordered_map<std::string, uint64_t> dedup;
  int64_t now_ns = 0;
  size_t stored_events = 0;
};

RocksBuffer::RocksBuffer(std::filesystem::path dir, BufferOptions options, FreeSpaceProbe probe)
    : dir_(std::move(dir)), options_(std::move(options)), probe_(std::move(probe)) {
  if (!probe_) probe_ = statvfsFree;
}

std::unique_ptr<RocksBuffer> RocksBuffer::open(const std::filesystem::path& dir,
                                               const BufferOptions& options, std::string& error,
                                               FreeSpaceProbe probe) {
  std::unique_ptr<RocksBuffer> b(new RocksBuffer(dir, options, std::move(probe)));
  // Opening writes a new MANIFEST (and recovery may write more): on a disk filled to the
  // last byte that fails. A reserve file kept beside the buffer is given up for it, once.
  const auto reserve = dir.parent_path() / (dir.filename().string() + ".reserve");
  std::error_code ec;
  // Made before the database opens: RocksDB preallocates its new log at open, which on a
  // small disk can leave too little room to make it afterwards.
  if (!std::filesystem::exists(reserve, ec) && b->probe_(dir.parent_path()) > 4 * kReserveBytes) {
    Status made = writeFileDurably(reserve, std::string(kReserveBytes, '\0'), 0600);
    made.ignoreError("the reserve only helps a later open on a full disk; this one may work");
  }
  Status opened = b->openDb();
  if (!opened.ok() && opened.message.find("No space left") != std::string::npos &&
      std::filesystem::remove(reserve, ec)) {
    logError("buffer", "the disk is full: gave up the space reserve to open the buffer",
             {{"dir", dir.string()},
              {"what_to_do", "free space on this disk; ingest is refused until there is some"}});
    opened = b->openDb();
  }
  if (!opened.ok()) {
    error = opened.message;
    return nullptr;
  }
  if (Status s = b->recover(); !s.ok()) {
    error = s.message;
    return nullptr;
  }
  b->watchDisk();
  b->writer_ = std::thread([p = b.get()] { p->writerLoop(); });
  b->maintenance_ = std::thread([p = b.get()] { p->maintenanceLoop(); });
  return b;
}

namespace {
// RocksDB's warnings and errors, as the daemon's own structured log lines (one per 10 s).
class ForwardedRocksLog final : public rocksdb::Logger {
 public:
  ForwardedRocksLog() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    uint64_t suppressed = 0;
    if (!throttle_.allow(suppressed)) return;
    char text[512];
    const int n = std::vsnprintf(text, sizeof(text), format, ap);
    if (n < 0) return;
    const std::string not_logged = std::to_string(suppressed);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL)
      logError("rocksdb", text, {{"not_logged_since_last", not_logged}});
    else
      logWarn("rocksdb", text, {{"not_logged_since_last", not_logged}});
  }

 private:
  LogThrottle throttle_{std::chrono::seconds(10)};
};
}  // namespace

Status RocksBuffer::openDb() {
  if (Status s = createDirectoriesDurably(dir_); !s.ok())
    return Status::failed("cannot create buffer directory " + dir_.string() + ": " + s.message);

  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_total_wal_size = options_.max_wal_bytes;
  db.max_log_file_size = options_.max_log_file_bytes;
  db.keep_log_file_num = static_cast<size_t>(options_.keep_log_files);
  db.max_manifest_file_size = options_.max_manifest_bytes;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;  // flash: no periodic stats in LOG
  // RocksDB's own LOG file would be one more file on the disk that may be full: its writer
  // aborts (a debug assertion in Debian's build) on the next line after a failed one, at
  // open too. Its warnings go to the daemon's log instead, throttled.
  db.info_log = std::make_shared<ForwardedRocksLog>();
  // Recovery keeps the log's events in memory instead of writing a table first: a start on
  // a full disk opens (ingest stays refused until space returns) instead of failing.
  db.avoid_flush_during_recovery = true;
  db.stats_dump_period_sec = 0;
  db.stats_persist_period_sec = 0;
  db.max_background_jobs = 2;
  statistics_ = rocksdb::CreateDBStatistics();
  statistics_->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  db.statistics = statistics_;

  block_cache_ = rocksdb::NewLRUCache(options_.block_cache_bytes, /*num_shard_bits=*/2);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;
  table.cache_index_and_filter_blocks = true;  // bounded: table readers live in the cache

  auto cf = [&](uint64_t write_buffer) {
    rocksdb::ColumnFamilyOptions o;
    o.write_buffer_size = write_buffer;
    // Small files: a trim boundary inside a file costs at most one small rewrite.
    o.target_file_size_base = 8 << 20;
    o.max_bytes_for_level_base = 64 << 20;
    o.max_write_buffer_number = options_.max_write_buffers;
    o.compression = bestCompression();
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return o;
  };
  const uint64_t small = std::min<uint64_t>(options_.write_buffer_bytes, 512 << 10);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf(small)},
      {"events", cf(options_.write_buffer_bytes)},
      {"cursors", cf(small)},
      {"state", cf(small)},
      {"dedup", cf(small)},
      {"dead_letters", cf(small)},
      {"quarantine", cf(small)}};
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db, dir_.string(), cfs, &handles_, &raw);
  if (!s.ok()) return Status::failed(describeOpenError(dir_, s));
  db_.reset(raw);
  meta_ = handles_[0];
  events_ = handles_[1];
  cursors_cf_ = handles_[2];
  state_ = handles_[3];
  dedup_ = handles_[4];
  dead_ = handles_[5];
  quarantine_ = handles_[6];
  return Status::success();
}

Status RocksBuffer::recover() {
  std::string value;
  uint64_t last = 0;
  if (db_->Get(rocksdb::ReadOptions(), meta_, kLastSequenceKey, &value).ok()) {
    last = sequenceFromKey(value);
  }
  uint64_t events = 0, bytes = 0, first = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t seq = sequenceFromKey(toString(it->key()));
      if (first == 0) first = seq;
      last = std::max(last, seq);
      bytes += it->key().size() + it->value().size();
      ++events;
    }
    if (!it->status().ok()) {
      return Status::failed("buffer database at " + dir_.string() +
                            " cannot be read: " + it->status().ToString() +
                            " (it was left untouched; move it aside to start empty)");
    }
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cursors_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      cursors_[toString(it->key())] = sequenceFromKey(toString(it->value()));
      // The core's own readers ('_' names) never hold retention: only sinks do.
      if (isInternalReader(toString(it->key()))) continue;
      // Every sink this buffer knows holds back retention from the start, before its
      // plugin runs again: sinks start one after another, some fail to start, and none may
      // lose what it has not acknowledged meanwhile.
      active_sinks_.insert(toString(it->key()));
    }
  }
  // A reader past the log's end (its tail was lost): new events must still be numbered
  // above what it has seen, or it would skip them.
  for (const auto& [reader, at] : cursors_) last = std::max(last, at);
  if (Status s = checkAcknowledged(last); !s.ok()) return s;
  last_sequence_ = last;
  committed_.store(last);
  durable_.store(last);
  first_live_.store(first == 0 ? last + 1 : first);
  live_bytes_.store(bytes);
  for (auto [cf, counter] :
       {std::pair{dead_, &dead_letters_}, std::pair{quarantine_, &quarantined_count_}}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    counter->store(n);
  }
  logInfo("buffer", "buffer opened",
          {{"dir", dir_.string()},
           {"events", std::to_string(events)},
           {"bytes", std::to_string(bytes)},
           {"last_sequence", std::to_string(last)},
           {"cursors", std::to_string(cursors_.size())},
           {"durability", toString(options_.durability)}});
  return Status::success();
}

Status RocksBuffer::checkAcknowledged(uint64_t& last) {
  const auto path = dir_ / "ACKNOWLEDGED";
  std::optional<AckedMark::Value> found;
  bool damaged = false;
  std::string error;
  mark_ = AckedMark::open(path, found, damaged, error);
  if (!mark_) {
    logWarn("buffer", "no acknowledged mark: a log damaged later would go unnoticed",
            {{"error", error}, {"what_to_do", "make the buffer directory writable by this user"}});
    return Status::success();
  }
  if (damaged)
    logWarn("buffer", "the acknowledged mark was unreadable and is written anew",
            {{"file", path.string()}});
  if (found && found->acknowledged > last) {
    const std::string missing =
        std::to_string(last + 1) + ".." + std::to_string(found->acknowledged);
    if (!options_.accept_loss) {
      return Status::failed(
          "buffer database at " + dir_.string() + " holds events up to sequence " +
          std::to_string(last) + ", but events " + missing +
          " were acknowledged to their senders: acknowledged events are missing (the disk "
          "lost or damaged the newest write-ahead log). Nothing was changed. Restore the "
          "buffer from a backup, or start once with storegated --accept-buffer-loss to go on "
          "without them (new events are numbered after every number ever handed out).");
    }
    accepted_loss_ = true;
    logError(
        "buffer", "acknowledged events are missing: started without them (accepted)",
        {{"missing_sequences", missing}, {"continuing_after", std::to_string(found->reserved)}});
  }
  if (accepted_loss_) {
    last = std::max(last, found->reserved);
    // Recovery stops at the damage and would ignore every later log too: what survived is
    // written to tables now, so the damaged log is retired before anything new is logged.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    if (const rocksdb::Status f = db_->Flush(flush, handles_); !f.ok())
      return Status::failed("buffer database at " + dir_.string() +
                            ": cannot retire the damaged log (" + f.ToString() +
                            "); free space on the disk and start again");
  }
  reserved_ = last + kReserveStep;
  if (Status s = mark_->store({last, reserved_}); !s.ok())
    logWarn("buffer", "cannot write the acknowledged mark", {{"error", s.message}});
  reserved_ = mark_->current().reserved;  // a stored reservation may be further ahead
  return Status::success();
}

void RocksBuffer::advanceMark(uint64_t durable) {
  if (!mark_ || durable <= mark_->current().acknowledged) return;
  if (Status s = mark_->store({durable, 0}); !s.ok()) {
    uint64_t suppressed = 0;
    if (mark_warnings_.allow(suppressed))
      logWarn("buffer", "cannot write the acknowledged mark",
              {{"error", s.message}, {"not_logged_since_last", std::to_string(suppressed)}});
  }
}

AckedMark::Value RocksBuffer::ackedMark() const {
  return mark_ ? mark_->current() : AckedMark::Value{};
}

RocksBuffer::~RocksBuffer() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  { std::lock_guard lock(maintenance_mu_); }
  maintenance_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (maintenance_.joinable()) maintenance_.join();
  wakeAll();
  if (db_) {
    // Closing: a failure here has nobody left to tell but the log, and RocksDB's own
    // recovery replays the WAL at the next open either way.
    // After a failed write RocksDB's log writer must not be synced again (its debug builds,
    // Debian's among them, abort): the next open replays what reached the log.
    if (!write_failed_.load()) {
      if (const rocksdb::Status s = db_->SyncWAL(); !s.ok())
        logWarn("buffer", "WAL sync at close failed", {{"error", s.ToString()}});
      else
        advanceMark(last_sequence_);
    }
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();  // only frees the handle
    handles_.clear();
    db_->Close().PermitUncheckedError();  // the next open recovers whatever this left
  }
}

rocksdb::WriteOptions RocksBuffer::writeOptions() const {
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::Sync;
  return wo;
}

rocksdb::Status RocksBuffer::noted(rocksdb::Status s) {
  // A failed write to the log or the tables puts RocksDB in a background-error state: no
  // log sync, and no ingest, until Resume() succeeds (watchDisk).
  if (s.IsNoSpace() || s.IsIOError()) {
    write_failed_.store(true);
    disk_paused_.store(true);
  }
  return s;
}

// ---- Group commit --------------------------------------------------------------------

Status RocksBuffer::append(std::span<Event> events) {
  if (events.empty()) return Status::success();
  const DiskCalls::Scope call(disk_calls_);
  if (disk_paused_.load()) {
    backpressure_.fetch_add(1);
    // Name the cause that paused it: a failed write (I/O error or a full disk meeting
    // RocksDB first) is not the free-space watermark.
    const std::string why =
        write_failed_.load()
            ? "a write to " + dir_.string() +
                  " failed (the disk reported an I/O error or no space); ingest resumes once "
                  "it takes writes again"
            : "the disk holding " + dir_.string() + " has " +
                  std::to_string(last_free_bytes_.load()) + " bytes free, below " +
                  std::to_string(options_.disk_min_free_bytes);
    return Status::error(SG_ERR_BACKPRESSURE, "ingest paused: " + why + "; retry later");
  }
  Request r(events);
  // Encoding happens here, on the caller's thread, in parallel; the one writer thread
  // only checks and puts.
  r.encoded.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) encodeEvent(events[i], r.encoded[i]);
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Status::error(SG_ERR_CLOSED, "buffer is shutting down");
    queue_.push_back(&r);
  }
  queue_cv_.notify_one();
  r.done.acquire();
  // Pass the wake-up on: the writer woke only the first caller of the group, so that it
  // can start the next commit instead of making one futex call per caller.
  if (r.wake_next != nullptr) r.wake_next->done.release();
  return r.status;
}

void RocksBuffer::writerLoop() {
  std::vector<Request*> group;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Take whole requests up to the group cap (at least one).
      size_t events = 0, n = 0;
      while (n < queue_.size() &&
             (n == 0 || events + queue_[n]->events.size() <= options_.max_group_events)) {
        events += queue_[n]->events.size();
        ++n;
      }
      group.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    writer_busy_since_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count() |
                                1);  // never 0
    try {
      commitGroup(group);
    } catch (const std::exception& e) {
      // Nothing of the group was written (the WriteBatch is applied last): each caller
      // hears so and may retry; the writer goes on with the next group.
      logError("buffer", "group commit failed", {{"error", e.what()}});
      for (Request* r : group)
        r->status = Status::failed(std::string("commit failed: ") + e.what());
    }
    writer_busy_since_ns_.store(0);
    for (size_t i = 0; i + 1 < group.size(); ++i) group[i]->wake_next = group[i + 1];
    group.front()->done.release();  // the group may be gone after this: last touch
    // The mark follows the callers (never ahead of them), at most every 100 ms while busy;
    // the maintenance thread brings it up to date when idle.
    if (options_.durability == Durability::Sync &&
        std::chrono::steady_clock::now() - last_mark_write_ >= std::chrono::milliseconds(100)) {
      last_mark_write_ = std::chrono::steady_clock::now();
      // Counted as busy too: a disk that hangs in the mark's fdatasync must stop the
      // watchdog as one that hangs in a commit does.
      writer_busy_since_ns_.store(last_mark_write_.time_since_epoch().count() | 1);
      advanceMark(durable_.load());
      writer_busy_since_ns_.store(0);
    }
  }
}

bool RocksBuffer::planRequest(Request& r, Plan& plan) {
  std::vector<std::string>& values = r.encoded;
  std::vector<bool> duplicate(r.events.size(), false);
  // A key repeated within this request: the index of its first event, whose sequence the
  // repeats take once it is assigned below (it has none yet).
  std::unordered_map<std::string_view, size_t> request_dedup;
  std::vector<size_t> repeat_of(r.events.size(), SIZE_MAX);
  uint64_t need = 0;
  QuotaPolicy policy = QuotaPolicy::DropOldest;
  std::string blocking_type;
  const int64_t window_ns = options_.dedup_window.count() * 1'000'000;
  for (size_t i = 0; i < r.events.size(); ++i) {
    Event& e = r.events[i];
    if (!e.dedupkey.empty()) {
      uint64_t seen = 0;
      if (auto it = request_dedup.find(e.dedupkey); it != request_dedup.end()) {
        duplicate[i] = true;
        repeat_of[i] = it->second;
        continue;
      }
      if (auto pit = plan.dedup.find(e.dedupkey); pit != plan.dedup.end()) {
        seen = pit->second;
      } else {
        std::string v;
        if (db_->Get(rocksdb::ReadOptions(), dedup_, e.dedupkey, &v).ok() && v.size() == 16) {
          const auto at = static_cast<int64_t>(sequenceFromKey(std::string_view(v).substr(8)));
          if (plan.now_ns - at < window_ns) seen = sequenceFromKey(v);
        }
      }
      if (seen != 0) {
        duplicate[i] = true;
        e.sequence = seen;
        continue;
      }
      request_dedup.emplace(e.dedupkey, i);
    }
    need += 8 + values[i].size();
    if (options_.policyFor(e.type) == QuotaPolicy::Block) {
      policy = QuotaPolicy::Block;
      blocking_type = e.type;
    }
  }
  if (options_.quota_bytes > 0) {
    const uint64_t used = live_bytes_.load() + plan.added_bytes - plan.dropped_bytes;
    // The first drop of a group also makes room for the gateway.buffer.dropped report.
    const uint64_t reserve = plan.drops.empty() ? kDropReportReserve : 0;
    if (used + need > options_.quota_bytes &&
        !planDrops(used + need + reserve - options_.quota_bytes, plan)) {
      backpressure_.fetch_add(1);
      r.status = Status::error(
          SG_ERR_BACKPRESSURE,
          "buffer quota full: " + std::to_string(used) + " of " +
              std::to_string(options_.quota_bytes) +
              " bytes hold undelivered events and none of the oldest may be dropped" +
              (policy == QuotaPolicy::Block ? " (type " + blocking_type + " has policy block)"
                                            : "") +
              "; retry when the sinks catch up");
      // Alert once on the way in, not once per refused append.
      if (!quota_blocked_.exchange(true)) {
        logError(
            "buffer",
            "quota full and nothing droppable: ingest refused (backpressure) until sinks catch up",
            {{"type", policy == QuotaPolicy::Block ? blocking_type : std::string()},
             {"used_bytes", std::to_string(used)},
             {"quota_bytes", std::to_string(options_.quota_bytes)}});
      }
      return false;
    }
  }
  for (size_t i = 0; i < r.events.size(); ++i) {
    Event& e = r.events[i];
    if (duplicate[i]) {
      if (repeat_of[i] != SIZE_MAX) e.sequence = r.events[repeat_of[i]].sequence;
      continue;
    }
    e.sequence = plan.next_sequence++;
    plan.batch.Put(events_, sequenceKey(e.sequence), values[i]);
    if (!e.dedupkey.empty()) {
      plan.batch.Put(dedup_, e.dedupkey,
                     sequenceKey(e.sequence) + sequenceKey(static_cast<uint64_t>(plan.now_ns)));
      plan.dedup[e.dedupkey] = e.sequence;
    }
    ++plan.stored_events;
  }
  // Only a request that stored something shows room; one of repeats only needed none.
  if (need > 0 && quota_blocked_.exchange(false))
    logInfo("buffer", "quota has room again: ingest accepted");
  const size_t dups = static_cast<size_t>(std::count(duplicate.begin(), duplicate.end(), true));
  if (dups > 0) dedup_hits_.fetch_add(dups);
  plan.added_bytes += need;
  return true;
}

bool RocksBuffer::planDrops(uint64_t needed, Plan& plan) {
  const size_t drops_before = plan.drops.size();
  const uint64_t bytes_before = plan.dropped_bytes;
  uint64_t freed = 0;
  const uint64_t from = std::max(plan.drop_scan_from, first_live_.load());
  const std::string hi = sequenceKey(committed_.load() + 1);
  rocksdb::Slice hi_slice(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &hi_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  size_t scanned = 0;
  uint64_t last_seen = from;
  for (it->Seek(sequenceKey(from)); it->Valid() && freed < needed && scanned < kMaxDropScan;
       it->Next(), ++scanned) {
    const uint64_t seq = sequenceFromKey(toString(it->key()));
    last_seen = seq;
    const auto e = decodeEvent(std::string_view(it->value().data(), it->value().size()));
    if (e && options_.policyFor(e->type) == QuotaPolicy::Block) continue;
    plan.drops.push_back(seq);
    const uint64_t size = it->key().size() + it->value().size();
    plan.dropped_bytes += size;
    freed += size;
  }
  if (freed < needed) {
    plan.drops.resize(drops_before);
    plan.dropped_bytes = bytes_before;
    return false;
  }
  plan.drop_scan_from = last_seen + 1;
  plan.dropped_count += plan.drops.size() - drops_before;
  return true;
}

void RocksBuffer::commitGroup(std::vector<Request*>& group) {
  std::lock_guard space(space_mu_);
  Plan plan;
  plan.next_sequence = last_sequence_ + 1;
  plan.now_ns = wallClockNs();
  size_t requested = 0;
  for (Request* r : group) {
    requested += r->events.size();
    // A refused request carries its own status back to its caller.
    ignoreResult(planRequest(*r, plan), "the request's status says why it was refused");
  }
  if (!plan.drops.empty()) {
    // Contiguous runs become one range tombstone each.
    size_t i = 0;
    while (i < plan.drops.size()) {
      size_t j = i;
      while (j + 1 < plan.drops.size() && plan.drops[j + 1] == plan.drops[j] + 1) ++j;
      if (j > i) {
        plan.batch.DeleteRange(events_, sequenceKey(plan.drops[i]), sequenceKey(plan.drops[j] + 1));
      } else {
        plan.batch.Delete(events_, sequenceKey(plan.drops[i]));
      }
      i = j + 1;
    }
    Event report;
    report.sequence = plan.next_sequence++;
    report.id = "buffer-dropped-" + std::to_string(report.sequence);
    report.source = "storegated";
    report.type = "gateway.buffer.dropped";
    report.datacontenttype = "application/json";
    report.storeid = options_.store_id;
    report.time_unix_ns = plan.now_ns;
    report.data = "{\"reason\":\"quota\",\"dropped\":" + std::to_string(plan.drops.size()) +
                  ",\"bytes\":" + std::to_string(plan.dropped_bytes) +
                  ",\"first_sequence\":" + std::to_string(plan.drops.front()) +
                  ",\"last_sequence\":" + std::to_string(plan.drops.back()) +
                  ",\"quota_bytes\":" + std::to_string(options_.quota_bytes) + "}";
    const std::string value = encodeEvent(report);
    plan.batch.Put(events_, sequenceKey(report.sequence), value);
    plan.added_bytes += 8 + value.size();
  }
  const uint64_t last = plan.next_sequence - 1;
  if (last == last_sequence_ && plan.drops.empty()) return;  // all refused or duplicates
  plan.batch.Put(meta_, kLastSequenceKey, sequenceKey(last));
  if (mark_ && last > reserved_) {
    // Reserved before use, so a start after a lost log tail continues above this group.
    reserved_ = last + kReserveStep;
    if (Status m = mark_->store({0, reserved_}); !m.ok()) {
      uint64_t suppressed = 0;
      if (mark_warnings_.allow(suppressed))
        logWarn("buffer", "cannot write the acknowledged mark",
                {{"error", m.message}, {"not_logged_since_last", std::to_string(suppressed)}});
    }
  }

  const auto started = std::chrono::steady_clock::now();
  const rocksdb::Status s = noted(db_->Write(writeOptions(), &plan.batch));
  commit_latency_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  group_size_.observe(static_cast<double>(requested) / 1e6);
  if (!s.ok()) {
    const std::string why = "buffer write failed: " + s.ToString();
    for (Request* r : group) {
      if (r->status.ok())
        r->status = Status::error(s.IsNoSpace() ? SG_ERR_BACKPRESSURE : SG_ERR_FAILED, why);
    }
    if (s.IsNoSpace() || s.IsIOError()) disk_paused_.store(true);
    logError("buffer", "commit failed",
             {{"error", s.ToString()}, {"events", std::to_string(requested)}});
    return;
  }
  SG_FAILPOINT("after_commit_before_ack");
  last_sequence_ = last;
  if (options_.durability == Durability::Sync) durable_.store(last);
  live_bytes_.fetch_add(plan.added_bytes);
  live_bytes_.fetch_sub(plan.dropped_bytes);
  events_in_.fetch_add(plan.stored_events);
  if (!plan.drops.empty()) {
    front_mutations_.fetch_add(1);
    dropped_.fetch_add(plan.drops.size());
    if (plan.drops.front() <= first_live_.load()) {
      // The front run is gone; the next live event is past it (a close lower bound).
      uint64_t next = plan.drops.front();
      for (uint64_t d : plan.drops) {
        if (d != next) break;
        ++next;
      }
      first_live_.store(next);
    }
    logWarn("buffer", "quota reached: dropped the oldest events",
            {{"dropped", std::to_string(plan.drops.size())},
             {"bytes", std::to_string(plan.dropped_bytes)},
             {"first_sequence", std::to_string(plan.drops.front())},
             {"last_sequence", std::to_string(plan.drops.back())}});
  }
  {
    std::lock_guard lock(more_mu_);
    committed_.store(last);
  }
  more_cv_.notify_all();
}

// ---- Reads -------------------------------------------------------------------------------

std::vector<Event> RocksBuffer::readAfter(uint64_t after, size_t max_events, size_t max_bytes) {
  const DiskCalls::Scope call(disk_calls_);
  std::vector<Event> out;
  const uint64_t upto = committed_.load();
  if (after >= upto || max_events == 0) return out;
  const uint64_t from = std::max(after + 1, first_live_.load());
  const std::string hi = sequenceKey(upto + 1);
  rocksdb::Slice hi_slice(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &hi_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  size_t bytes = 0;
  std::vector<std::pair<uint64_t, std::pair<std::string, std::string>>> bad;
  for (it->Seek(sequenceKey(from)); it->Valid() && out.size() < max_events; it->Next()) {
    const uint64_t seq = sequenceFromKey(toString(it->key()));
    const std::string_view raw(it->value().data(), it->value().size());
    if (!out.empty() && bytes + raw.size() > max_bytes) break;
    std::string why;
    auto e = decodeEvent(raw, &why);
    if (!e) {
      bad.push_back({seq, {std::string(raw), why}});
      continue;
    }
    e->sequence = seq;
    bytes += raw.size();
    out.push_back(std::move(*e));
  }
  for (auto& [seq, record] : bad) quarantine(seq, record.first, record.second);
  return out;
}

void RocksBuffer::quarantine(uint64_t sequence, const std::string& raw, const std::string& why) {
  {
    std::lock_guard lock(quarantine_mu_);
    if (!quarantined_.insert(sequence).second) return;
  }
  std::lock_guard space(space_mu_);
  std::string still;
  if (!db_->Get(rocksdb::ReadOptions(), events_, sequenceKey(sequence), &still).ok()) return;
  rocksdb::WriteBatch batch;
  batch.Put(quarantine_, sequenceKey(sequence), why + '\0' + raw);
  batch.Delete(events_, sequenceKey(sequence));
  if (noted(db_->Write(writeOptions(), &batch)).ok()) {
    front_mutations_.fetch_add(1);
    live_bytes_.fetch_sub(8 + still.size());
    quarantined_count_.fetch_add(1);
    logError("buffer", "undecodable record quarantined",
             {{"sequence", std::to_string(sequence)}, {"reason", why}});
  }
}

bool RocksBuffer::waitForMore(uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(more_mu_);
  const uint64_t generation = wake_generation_;
  more_cv_.wait_for(lock, timeout,
                    [&] { return committed_.load() > after || wake_generation_ != generation; });
  return committed_.load() > after;
}

void RocksBuffer::wakeAll() {
  {
    std::lock_guard lock(more_mu_);
    ++wake_generation_;
  }
  more_cv_.notify_all();
}

// ---- Cursors, dead letters, state ------------------------------------------------------

std::chrono::milliseconds RocksBuffer::writerBusyFor() const {
  const int64_t since = writer_busy_since_ns_.load();
  if (since == 0) return std::chrono::milliseconds(0);
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      now - std::chrono::steady_clock::duration(since));
}

void RocksBuffer::registerSink(std::string_view sink) {
  std::lock_guard lock(cursor_mu_);
  if (!isInternalReader(sink)) active_sinks_.insert(std::string(sink));
  if (cursors_.try_emplace(std::string(sink), 0).second) {
    // Persist the new sink at cursor 0, so that a restart remembers it before its first
    // acknowledgement. If this fails the sink is still known for this run.
    noted(db_->Put(writeOptions(), cursors_cf_, rocksdb::Slice(sink.data(), sink.size()),
                   sequenceKey(0)))
        .PermitUncheckedError();  // known for this run; the first commit persists it
  }
}

std::vector<std::string> RocksBuffer::retainingSinks() {
  std::lock_guard lock(cursor_mu_);
  return {active_sinks_.begin(), active_sinks_.end()};
}

void RocksBuffer::unregisterSink(std::string_view sink) {
  std::lock_guard lock(cursor_mu_);
  if (auto it = active_sinks_.find(sink); it != active_sinks_.end()) active_sinks_.erase(it);
}

uint64_t RocksBuffer::cursor(std::string_view sink) {
  std::lock_guard lock(cursor_mu_);
  const auto it = cursors_.find(sink);
  return it == cursors_.end() ? 0 : it->second;
}

Status RocksBuffer::commitCursor(std::string_view sink, uint64_t sequence) {
  const DiskCalls::Scope call(disk_calls_);
  std::lock_guard lock(cursor_mu_);
  auto it = cursors_.find(sink);
  const uint64_t current = it == cursors_.end() ? 0 : it->second;
  if (sequence < current) {
    return Status::invalid("cursor of sink '" + std::string(sink) + "' cannot move back from " +
                           std::to_string(current) + " to " + std::to_string(sequence));
  }
  const rocksdb::Status s =
      noted(db_->Put(writeOptions(), cursors_cf_, rocksdb::Slice(sink.data(), sink.size()),
                     sequenceKey(sequence)));
  if (!s.ok())
    return Status::failed("cannot persist cursor of sink '" + std::string(sink) +
                          "': " + s.ToString());
  cursors_[std::string(sink)] = sequence;
  return Status::success();
}

Status RocksBuffer::deadLetter(std::string_view sink, const Event& event, std::string_view reason) {
  const DiskCalls::Scope call(disk_calls_);
  std::string key(sink);
  key.push_back('\0');
  key += sequenceKey(event.sequence);
  std::string value(reason);
  value.push_back('\0');
  encodeEvent(event, value);
  const rocksdb::Status s = noted(db_->Put(writeOptions(), dead_, key, value));
  if (!s.ok()) return Status::failed("cannot store dead letter: " + s.ToString());
  dead_letters_.fetch_add(1);
  return Status::success();
}

std::optional<std::string> RocksBuffer::get(std::string_view ns, std::string_view key) {
  const DiskCalls::Scope call(disk_calls_);
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), state_, stateKey(ns, key), &value).ok())
    return std::nullopt;
  return value;
}

Status RocksBuffer::put(std::string_view ns, std::string_view key, std::string_view value) {
  const DiskCalls::Scope call(disk_calls_);
  const rocksdb::Status s = noted(db_->Put(writeOptions(), state_, stateKey(ns, key),
                                           rocksdb::Slice(value.data(), value.size())));
  return s.ok() ? Status::success() : Status::failed("state write failed: " + s.ToString());
}

Status RocksBuffer::erase(std::string_view ns, std::string_view key) {
  const DiskCalls::Scope call(disk_calls_);
  const rocksdb::Status s = db_->Delete(writeOptions(), state_, stateKey(ns, key));
  return s.ok() ? Status::success() : Status::failed("state delete failed: " + s.ToString());
}

namespace {
std::vector<std::pair<uint64_t, std::string>> listReasons(rocksdb::DB* db,
                                                          rocksdb::ColumnFamilyHandle* cf,
                                                          size_t max) {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid() && out.size() < max; it->Next()) {
    const std::string key = toString(it->key());
    const std::string value = toString(it->value());
    out.emplace_back(sequenceFromKey(std::string_view(key).substr(key.size() - 8)),
                     value.substr(0, value.find('\0')));
  }
  return out;
}
}  // namespace

std::vector<std::pair<uint64_t, std::string>> RocksBuffer::listDeadLetters(size_t max) {
  return listReasons(db_.get(), dead_, max);
}

std::vector<RocksBuffer::DeadLetter> RocksBuffer::deadLetters(size_t max) {
  std::vector<DeadLetter> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), dead_));
  for (it->SeekToFirst(); it->Valid() && out.size() < max; it->Next()) {
    const std::string key = toString(it->key());
    const std::string value = toString(it->value());
    const size_t kz = key.find('\0');
    const size_t vz = value.find('\0');
    if (kz == std::string::npos || vz == std::string::npos) continue;
    auto e = decodeEvent(std::string_view(value).substr(vz + 1));
    if (!e) continue;
    DeadLetter d{key.substr(0, kz), sequenceFromKey(std::string_view(key).substr(kz + 1)),
                 value.substr(0, vz), std::move(*e)};
    d.event.sequence = d.sequence;
    out.push_back(std::move(d));
  }
  return out;
}

Status RocksBuffer::resolveDeadLetter(std::string_view sink, uint64_t sequence, bool retry) {
  std::string key(sink);
  key.push_back('\0');
  key += sequenceKey(sequence);
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), dead_, key, &value).ok())
    return Status::error(SG_ERR_NOT_FOUND, "no dead letter " + std::to_string(sequence) +
                                               " for sink '" + std::string(sink) + "'");
  if (retry) {
    const size_t vz = value.find('\0');
    auto e = vz == std::string::npos ? std::nullopt
                                     : decodeEvent(std::string_view(value).substr(vz + 1));
    if (!e) return Status::failed("dead letter " + std::to_string(sequence) + " cannot be decoded");
    std::vector<Event> again{std::move(*e)};
    again[0].dedupkey.clear();  // it was seen before: the dedup window must not swallow it
    if (Status s = append(again); !s.ok()) return s;
  }
  if (!db_->Delete(writeOptions(), dead_, key).ok())
    return Status::failed("cannot remove dead letter " + std::to_string(sequence));
  dead_letters_.fetch_sub(1);
  return Status::success();
}

Status RocksBuffer::rewindCursor(std::string_view sink, uint64_t to) {
  std::lock_guard lock(cursor_mu_);
  const rocksdb::Status s = noted(db_->Put(
      writeOptions(), cursors_cf_, rocksdb::Slice(sink.data(), sink.size()), sequenceKey(to)));
  if (!s.ok()) return Status::failed("cannot rewind cursor: " + s.ToString());
  cursors_[std::string(sink)] = to;
  return Status::success();
}

std::vector<std::pair<uint64_t, std::string>> RocksBuffer::listQuarantine(size_t max) {
  return listReasons(db_.get(), quarantine_, max);
}

// ---- Maintenance ---------------------------------------------------------------------------

void RocksBuffer::maintenanceLoop() {
  const auto period = options_.durability == Durability::Batch
                          ? std::min(options_.batch_sync_interval, options_.maintenance_interval)
                          : options_.maintenance_interval;
  std::unique_lock lock(maintenance_mu_);
  for (;;) {
    maintenance_cv_.wait_for(lock, period, [&] {
      std::lock_guard q(queue_mu_);
      return stopping_;
    });
    {
      std::lock_guard q(queue_mu_);
      if (stopping_) return;
    }
    lock.unlock();
    // One failed pass (e.g. out of memory) must not end the daemon; the next pass retries.
    runGuarded("buffer maintenance", [this] { maintain(); });
    lock.lock();
  }
}

void RocksBuffer::maintain() {
  const DiskCalls::Scope call(disk_calls_);
  const auto now = std::chrono::steady_clock::now();
  if (options_.durability == Durability::Batch && !write_failed_.load() &&
      now - last_wal_sync_ >= options_.batch_sync_interval) {
    // Batch mode's promise is "durable within batch_sync_interval": a failed sync breaks
    // it, so it is said (once per episode) and retried at the next tick, not dropped.
    const uint64_t written = committed_.load();  // everything up to here is in the log
    if (const rocksdb::Status s = db_->SyncWAL(); !s.ok()) {
      wal_sync_failures_.fetch_add(1);
      if (!wal_sync_failing_.exchange(true))
        logError("buffer", "cannot sync the write-ahead log; recent events are not yet durable",
                 {{"error", s.ToString()}, {"what_to_do", "check the disk (dmesg, df)"}});
    } else {
      if (wal_sync_failing_.exchange(false)) logInfo("buffer", "write-ahead log syncs again");
      last_wal_sync_ = now;
      durable_.store(std::max(durable_.load(), written));
    }
  }
  if (options_.durability != Durability::None) advanceMark(durable_.load());
  watchDisk();
  trim();
  if (now - last_dedup_expiry_ >= std::chrono::minutes(1)) {
    expireDedup();
    last_dedup_expiry_ = now;
  }
}

uint64_t RocksBuffer::slowestActiveCursor() {
  std::lock_guard lock(cursor_mu_);
  if (active_sinks_.empty()) return 0;  // no sink: keep everything (the quota still applies)
  uint64_t slowest = UINT64_MAX;
  for (const std::string& s : active_sinks_) slowest = std::min(slowest, cursors_[s]);
  return slowest;
}

void RocksBuffer::trim() {
  const uint64_t upto = std::min(slowestActiveCursor(), committed_.load());
  uint64_t count = 0;
  // The byte count needs a scan of the range; the writer holds space_mu_ for every commit,
  // so scan without it and only then lock, redoing the scan under the lock in the rare
  // case that a quota drop or a quarantine changed the front meanwhile.
  for (int attempt = 0;; ++attempt) {
    const uint64_t from = first_live_.load();
    if (upto < from) return;
    const uint64_t mutations = front_mutations_.load();
    std::unique_lock space(space_mu_, std::defer_lock);
    if (attempt > 0) space.lock();
    const std::string lo = sequenceKey(from), hi = sequenceKey(upto + 1);
    rocksdb::Slice hi_slice(hi);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &hi_slice;
    ro.fill_cache = false;
    uint64_t bytes = 0;
    count = 0;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      bytes += it->key().size() + it->value().size();
      ++count;
    }
    if (attempt == 0) {
      space.lock();
      if (front_mutations_.load() != mutations || first_live_.load() != from) continue;
    }
    SG_FAILPOINT("during_trim");
    rocksdb::WriteBatch batch;
    batch.DeleteRange(events_, lo, hi);
    rocksdb::WriteOptions wo;  // losing a trim on power loss only means trimming again
    const rocksdb::Status s = noted(db_->Write(wo, &batch));
    if (!s.ok()) {
      logError("buffer", "trim failed", {{"error", s.ToString()}});
      return;
    }
    first_live_.store(upto + 1);
    live_bytes_.fetch_sub(std::min(bytes, live_bytes_.load()));
    break;
  }
  trimmed_.fetch_add(count);
  // Now and then, drop the SST files that lie wholly below the trim point (no I/O), then
  // compact just the window trimmed since last time, so range tombstones never pile up in
  // front of the live events every read seeks to, and no file is rewritten twice.
  if (trimmed_since_compaction_.fetch_add(count) + count >= kCompactEvery) {
    trimmed_since_compaction_.store(0);
    const std::string begin = sequenceKey(compacted_upto_);
    const std::string end = sequenceKey(upto + 1);
    rocksdb::Slice begin_slice(begin), end_slice(end);
    // Both only reclaim space below the trim point; the next round tries again.
    rocksdb::DeleteFilesInRange(db_.get(), events_, nullptr, &end_slice).PermitUncheckedError();
    rocksdb::CompactRangeOptions co;
    co.exclusive_manual_compaction = false;  // never hold back the flushes ingest waits on
    db_->CompactRange(co, events_, &begin_slice, &end_slice).PermitUncheckedError();
    compacted_upto_ = upto + 1;
  }
}

void RocksBuffer::expireDedup() {
  const int64_t cutoff = wallClockNs() - options_.dedup_window.count() * 1'000'000;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), dedup_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string v = toString(it->value());
    if (v.size() == 16 &&
        static_cast<int64_t>(sequenceFromKey(std::string_view(v).substr(8))) < cutoff) {
      batch.Delete(dedup_, it->key());
    }
  }
  // Expired keys that survive a failed delete expire again at the next pass.
  if (batch.Count() > 0) noted(db_->Write(rocksdb::WriteOptions(), &batch)).PermitUncheckedError();
}

void RocksBuffer::watchDisk() {
  const uint64_t free = probe_(dir_);
  last_free_bytes_.store(free);
  if (!disk_paused_.load() && free < options_.disk_min_free_bytes) {
    disk_paused_.store(true);
    logError("buffer", "disk nearly full: ingest paused until space returns",
             {{"dir", dir_.string()},
              {"free_bytes", std::to_string(free)},
              {"min_free_bytes", std::to_string(options_.disk_min_free_bytes)}});
  } else if (disk_paused_.load() && free >= options_.disk_resume_free_bytes &&
             free >= kResumeMinFree) {
    // A write that failed for lack of space leaves RocksDB in a background-error state;
    // Resume() reopens it for writing now that space is back (a new log file included).
    const rocksdb::Status s = db_->Resume();
    if (s.IsBusy()) return;  // RocksDB is recovering by itself; the next tick asks again
    if (!s.ok() && !s.IsNotSupported()) {
      uint64_t suppressed = 0;
      if (resume_warnings_.allow(suppressed))
        logError("buffer",
                 s.IsNoSpace() ? "disk has space again but the database cannot resume yet"
                               : "the database cannot take writes again after a failed write",
                 {{"error", s.ToString()},
                  {"free_bytes", std::to_string(free)},
                  {"not_logged_since_last", std::to_string(suppressed)},
                  {"what_to_do", s.IsNoSpace()
                                     ? "it retries every tick; free more space on " + dir_.string()
                                     : "the disk reported an I/O error: restart "
                                       "storegated (its log is replayed), and check "
                                       "the disk (dmesg) if it recurs"}});
      return;
    }
    write_failed_.store(false);
    disk_paused_.store(false);
    logInfo("buffer", "disk space returned: ingest resumed",
            {{"free_bytes", std::to_string(free)}});
  }
}

// ---- Stats ------------------------------------------------------------------------------------

BufferStats RocksBuffer::stats() {
  BufferStats s;
  s.last_sequence = committed_.load();
  s.first_sequence = first_live_.load() <= s.last_sequence ? first_live_.load() : 0;
  s.events = s.first_sequence == 0 ? 0 : s.last_sequence - s.first_sequence + 1;  // upper bound
  s.bytes = live_bytes_.load();
  s.dropped = dropped_.load();
  s.dead_letters = dead_letters_.load();
  s.dedup_hits = dedup_hits_.load();
  s.quarantined = quarantined_count_.load();
  s.events_in = events_in_.load();
  s.backpressure = backpressure_.load();
  s.disk_paused = disk_paused_.load();
  return s;
}

uint64_t RocksBuffer::writeAmplificationBytes() {
  return statistics_->getTickerCount(rocksdb::WAL_FILE_BYTES) +
         statistics_->getTickerCount(rocksdb::FLUSH_WRITE_BYTES) +
         statistics_->getTickerCount(rocksdb::COMPACT_WRITE_BYTES);
}

void RocksBuffer::collect(MetricWriter& w) {
  const BufferStats s = stats();
  w.counter("storegate_buffer_events_in_total", "Events committed to the buffer",
            double(s.events_in));
  w.counter("storegate_buffer_dropped_total", "Events dropped by the drop_oldest quota policy",
            double(s.dropped));
  w.counter("storegate_buffer_dedup_hits_total",
            "Events acknowledged as duplicates of a recent dedupkey", double(s.dedup_hits));
  w.counter("storegate_buffer_quarantined_total", "Undecodable records moved to quarantine",
            double(s.quarantined));
  w.counter("storegate_buffer_dead_letters_total", "Events a sink rejected for good",
            double(s.dead_letters));
  w.counter("storegate_buffer_wal_sync_failures_total",
            "Periodic write-ahead log syncs (durability: batch) that failed",
            double(wal_sync_failures_.load()));
  w.counter("storegate_buffer_backpressure_total", "Appends refused for quota or disk space",
            double(s.backpressure));
  w.gauge("storegate_buffer_last_sequence", "Newest committed sequence number",
          double(s.last_sequence));
  w.gauge("storegate_buffer_live_bytes", "Bytes of events not yet trimmed", double(s.bytes));
  w.gauge("storegate_buffer_disk_paused", "1 while ingest is paused for lack of disk space",
          s.disk_paused ? 1 : 0);
  w.gauge("storegate_buffer_disk_free_bytes", "Free bytes on the data_dir file system",
          double(last_free_bytes_.load()));
  uint64_t v = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
    w.gauge("storegate_rocksdb_memtable_bytes", "RocksDB memtables", double(v));
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &v)) {
    w.gauge("storegate_rocksdb_table_readers_bytes",
            "RocksDB table readers outside the block cache", double(v));
  }
  w.gauge("storegate_rocksdb_block_cache_bytes", "RocksDB block cache usage",
          double(block_cache_->GetUsage()));
  uint64_t disk = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
    if (f.is_regular_file(ec)) disk += f.file_size(ec);
  }
  w.gauge("storegate_buffer_disk_bytes", "Bytes the buffer's files take on disk", double(disk));
  w.histogram("storegate_buffer_commit_seconds", "Group commit latency (write + fsync)",
              commit_latency_);
}

}  // namespace storegate
