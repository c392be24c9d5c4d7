// The RocksDB buffer against a real database in a temporary directory.
#include "buffer/rocksdb_buffer.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "support/test_support.hpp"

namespace storegate {
namespace {

class RocksBufferTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  BufferOptions options_;

  RocksBufferTest() {
    options_.maintenance_interval = std::chrono::hours(1);  // tests call maintain() themselves
    options_.disk_min_free_bytes = 0;
    options_.disk_resume_free_bytes = 0;
    options_.store_id = "store-1";
  }

  std::unique_ptr<RocksBuffer> open(RocksBuffer::FreeSpaceProbe probe = {}) {
    std::string error;
    auto b = RocksBuffer::open(dir_ / "buffer", options_, error, std::move(probe));
    EXPECT_TRUE(b) << error;
    return b;
  }

  static std::vector<Event> events(size_t n, const std::string& type = "test.event",
                                   size_t data_bytes = 10) {
    std::vector<Event> out(n);
    for (size_t i = 0; i < n; ++i) {
      out[i].type = type;
      out[i].id = "e" + std::to_string(i);
      out[i].datacontenttype = "text/plain";
      out[i].data = std::string(data_bytes, 'x');
    }
    return out;
  }

  static std::vector<uint64_t> sequences(const std::vector<Event>& events) {
    std::vector<uint64_t> out;
    for (const auto& e : events) out.push_back(e.sequence);
    return out;
  }
};

}  // namespace

TEST_F(RocksBufferTest, AppendsReadBackInOrderWithConsecutiveSequences) {
  auto b = open();
  auto first = events(3);
  auto second = events(2);
  ASSERT_TRUE(b->append(first).ok());
  ASSERT_TRUE(b->append(second).ok());
  EXPECT_EQ(sequences(first), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(sequences(second), (std::vector<uint64_t>{4, 5}));
  const auto read = b->readAfter(1, 10, 1 << 20);
  EXPECT_EQ(sequences(read), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(read[0].id, "e1");
  EXPECT_EQ(read[0].data, "xxxxxxxxxx");
  EXPECT_EQ(b->readAfter(0, 2, 1 << 20).size(), 2u);
  EXPECT_EQ(b->readAfter(0, 100, 1).size(), 1u);  // the byte cap never starves a reader
}

TEST_F(RocksBufferTest, ManyThreadsAppendAtOnceWithoutLossOrReorderingPerThread) {
  auto b = open();
  constexpr int kThreads = 16, kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::vector<Event> e(1);
        e[0].type = "t";
        e[0].datacontenttype = "text/plain";
        e[0].data = std::to_string(t) + ":" + std::to_string(i);
        ASSERT_TRUE(b->append(e).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto all = b->readAfter(0, 100'000, 1 << 30);
  ASSERT_EQ(all.size(), size_t(kThreads * kEach));
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].sequence, i + 1);
    const auto colon = all[i].data.find(':');
    const int t = std::stoi(all[i].data.substr(0, colon));
    EXPECT_EQ(std::stoi(all[i].data.substr(colon + 1)), next[t]++)
        << "thread " << t << " reordered";
  }
  EXPECT_GT(b->commitLatency().count(), 0u);
  EXPECT_LT(b->commitLatency().count(), uint64_t(kThreads * kEach));  // groups formed
}

TEST_F(RocksBufferTest, ReopeningResumesSequencesCursorsAndState) {
  {
    auto b = open();
    auto e = events(10);
    ASSERT_TRUE(b->append(e).ok());
    b->registerSink("cloud");
    ASSERT_TRUE(b->commitCursor("cloud", 10).ok());
    ASSERT_TRUE(b->put("pos_file", "offset", "4096").ok());
    b->maintain();  // trims everything: the cloud sink has it all
    EXPECT_EQ(b->stats().first_sequence, 0u);
  }
  auto b = open();
  EXPECT_EQ(b->cursor("cloud"), 10u);
  EXPECT_EQ(b->get("pos_file", "offset"), "4096");
  auto more = events(1);
  ASSERT_TRUE(b->append(more).ok());
  EXPECT_EQ(more[0].sequence, 11u) << "sequence numbers must never repeat after a restart";
}

TEST_F(RocksBufferTest, RetentionFollowsTheSlowestActiveSink) {
  auto b = open();
  b->registerSink("fast");
  b->registerSink("slow");
  auto e = events(10);
  ASSERT_TRUE(b->append(e).ok());
  ASSERT_TRUE(b->commitCursor("fast", 8).ok());
  ASSERT_TRUE(b->commitCursor("slow", 3).ok());
  b->maintain();
  EXPECT_EQ(b->stats().first_sequence, 4u);
  EXPECT_EQ(sequences(b->readAfter(0, 100, 1 << 20)).front(), 4u);
  EXPECT_FALSE(b->commitCursor("slow", 2).ok()) << "cursors never move back";
  b->unregisterSink("slow");  // removed from the config: no longer holds data back
  b->maintain();
  EXPECT_EQ(b->stats().first_sequence, 9u);
}

// After a restart, sinks start one by one and some fail to start: until the config says
// a sink is gone, what it has not acknowledged stays, even if it never acknowledged anything.
TEST_F(RocksBufferTest, AfterARestartEveryKnownSinkHoldsItsEventsBeforeItRunsAgain) {
  {
    auto b = open();
    b->registerSink("local");
    b->registerSink("cloud");  // never acknowledges anything before the restart
    auto ten = events(10);
    ASSERT_TRUE(b->append(ten).ok());
    ASSERT_TRUE(b->commitCursor("local", 4).ok());
  }
  auto b = open();
  b->registerSink("local");  // the cloud sink has not started (yet)
  ASSERT_TRUE(b->commitCursor("local", 10).ok());
  b->maintain();
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), 10u) << "held for the cloud sink";
  const auto held = b->retainingSinks();
  EXPECT_EQ(std::set<std::string>(held.begin(), held.end()),
            (std::set<std::string>{"cloud", "local"}));

  b->unregisterSink("cloud");  // the config no longer has it
  b->maintain();
  EXPECT_TRUE(b->readAfter(0, 100, 1 << 20).empty());
}

TEST_F(RocksBufferTest, NothingIsTrimmedWhileNoSinkIsConfigured) {
  auto b = open();
  auto e = events(5);
  ASSERT_TRUE(b->append(e).ok());
  b->maintain();
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), 5u);
}

TEST_F(RocksBufferTest, ADedupKeySeenWithinTheWindowIsAcknowledgedButNotStoredAgain) {
  {
    auto b = open();
    auto receipt = events(1, "store.pos.receipt");
    receipt[0].dedupkey = "till-3/000123";
    ASSERT_TRUE(b->append(receipt).ok());
    auto again = receipt;
    ASSERT_TRUE(b->append(again).ok());
    EXPECT_EQ(again[0].sequence, receipt[0].sequence);
    EXPECT_EQ(b->stats().dedup_hits, 1u);
  }
  auto b = open();  // the key outlives a restart (a receipt re-sent after a crash)
  auto after_crash = events(2, "store.pos.receipt");
  after_crash[0].dedupkey = "till-3/000123";
  after_crash[1].dedupkey = "till-3/000124";
  ASSERT_TRUE(b->append(after_crash).ok());
  EXPECT_EQ(after_crash[0].sequence, 1u);
  EXPECT_EQ(after_crash[1].sequence, 2u);
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), 2u);
}

TEST_F(RocksBufferTest, ADedupKeyRepeatedWithinOneAppendIsStoredOnce) {
  auto b = open();
  auto batch = events(3, "store.pos.receipt");
  batch[0].dedupkey = "till-3/000200";
  batch[1].dedupkey = "till-3/000201";
  batch[2].dedupkey = "till-3/000200";  // the till sent receipt 200 twice in one request
  ASSERT_TRUE(b->append(batch).ok());
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), 2u);
  EXPECT_EQ(batch[2].sequence, batch[0].sequence) << "the repeat is acknowledged as the first";
  EXPECT_NE(batch[1].sequence, batch[0].sequence);
  EXPECT_EQ(b->stats().dedup_hits, 1u);
}

TEST_F(RocksBufferTest, TheCoresOwnReadersNeverHoldRetentionEvenAfterARestart) {
  {
    auto b = open();
    auto e = events(4);
    ASSERT_TRUE(b->append(e).ok());
    b->registerSink("_admin_remote");
    ASSERT_TRUE(b->commitCursor("_admin_remote", 4).ok());
    EXPECT_TRUE(b->retainingSinks().empty()) << "an internal reader is not a sink";
  }
  auto b = open();
  EXPECT_EQ(b->cursor("_admin_remote"), 4u) << "its place is kept";
  EXPECT_TRUE(b->retainingSinks().empty());
  b->maintain();
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), 4u)
      << "with no sink, nothing is trimmed, whatever the internal readers read";
}

TEST_F(RocksBufferTest, ADedupKeyOutsideTheWindowIsStoredAgain) {
  options_.dedup_window = std::chrono::milliseconds(1);
  auto b = open();
  auto e = events(1);
  e[0].dedupkey = "k";
  ASSERT_TRUE(b->append(e).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto again = events(1);
  again[0].dedupkey = "k";
  ASSERT_TRUE(b->append(again).ok());
  EXPECT_EQ(again[0].sequence, 2u);
}

TEST_F(RocksBufferTest, QuotaDropOldestDropsExactlyTheOldestAndReportsIt) {
  options_.quota_bytes = 4000;
  auto b = open();
  b->registerSink("cloud");  // a sink that is down: nothing is acknowledged
  for (int i = 0; i < 60; ++i) {
    auto e = events(1, "store.sensor.reading", 100);
    e[0].id = "reading-" + std::to_string(i);
    ASSERT_TRUE(b->append(e).ok()) << i;
  }
  const BufferStats s = b->stats();
  EXPECT_GT(s.dropped, 0u);
  EXPECT_LE(s.bytes, options_.quota_bytes);
  const auto kept = b->readAfter(0, 1000, 1 << 30);
  std::vector<std::string> readings;
  uint64_t reported = 0, reported_last = 0;
  for (const Event& e : kept) {
    if (e.type == "store.sensor.reading") readings.push_back(e.id);
    if (e.type == "gateway.buffer.dropped") {
      const auto j = nlohmann::json::parse(e.data);
      reported += j["dropped"].get<uint64_t>();
      EXPECT_EQ(j["reason"], "quota");
      EXPECT_GT(j["last_sequence"].get<uint64_t>(), reported_last);
      reported_last = j["last_sequence"].get<uint64_t>();
    }
  }
  ASSERT_FALSE(readings.empty());
  // The survivors are exactly the newest readings, contiguous up to the last one.
  const int first_kept = std::stoi(readings.front().substr(8));
  for (size_t i = 0; i < readings.size(); ++i)
    EXPECT_EQ(readings[i], "reading-" + std::to_string(first_kept + int(i)));
  EXPECT_EQ(readings.back(), "reading-59");
  // Every reading not kept was dropped and counted (earlier reports may have been
  // dropped in turn, and are counted too).
  EXPECT_GE(s.dropped, uint64_t(first_kept));
  EXPECT_GT(reported, 0u);
}

TEST_F(RocksBufferTest, QuotaBlockRefusesWithBackpressureAndKeepsEveryReceipt) {
  options_.quota_bytes = 3000;
  options_.type_policies = {{"store.pos.*", QuotaPolicy::Block}};
  auto b = open();
  b->registerSink("cloud");
  int stored = 0;
  Status last;
  for (int i = 0; i < 100; ++i) {
    auto e = events(1, "store.pos.receipt", 100);
    last = b->append(e);
    if (!last.ok()) break;
    ++stored;
  }
  ASSERT_EQ(last.code, SG_ERR_BACKPRESSURE);
  EXPECT_NE(last.message.find("type store.pos.receipt has policy block"), std::string::npos)
      << last.message;
  EXPECT_EQ(b->stats().dropped, 0u);
  EXPECT_EQ(b->readAfter(0, 1000, 1 << 30).size(), size_t(stored));
  // A reading cannot push a receipt out either.
  auto reading = events(1, "store.sensor.reading", 100);
  EXPECT_EQ(b->append(reading).code, SG_ERR_BACKPRESSURE);
  // Once the sink catches up there is room again.
  ASSERT_TRUE(b->commitCursor("cloud", b->stats().last_sequence).ok());
  b->maintain();
  auto receipt = events(1, "store.pos.receipt", 100);
  EXPECT_TRUE(b->append(receipt).ok());
  EXPECT_FALSE(b->quotaBlocked());
}

// A POS resending a receipt already stored needs no room: it must not count as "room again"
// (the log said "quota has room again" and "quota full" by turns, once per request).
TEST_F(RocksBufferTest, ARepeatedReceiptAtAFullQuotaDoesNotEndTheEpisode) {
  options_.quota_bytes = 3000;
  options_.type_policies = {{"store.pos.*", QuotaPolicy::Block}};
  auto b = open();
  b->registerSink("cloud");
  auto first = events(1, "store.pos.receipt", 100);
  first[0].dedupkey = "till-1/0001";
  ASSERT_TRUE(b->append(first).ok());
  for (int i = 0; i < 100 && !b->quotaBlocked(); ++i) {
    auto e = events(1, "store.pos.receipt", 100);
    ignoreResult(b->append(e), "filling until the quota blocks");
  }
  ASSERT_TRUE(b->quotaBlocked());
  auto again = events(1, "store.pos.receipt", 100);
  again[0].dedupkey = "till-1/0001";
  EXPECT_TRUE(b->append(again).ok()) << "a duplicate is acknowledged";
  EXPECT_TRUE(b->quotaBlocked()) << "nothing was stored, so the quota is still full";
}

TEST_F(RocksBufferTest, UnderPressureReadingsMakeWayButReceiptsStay) {
  options_.quota_bytes = 5000;
  options_.type_policies = {{"store.pos.receipt", QuotaPolicy::Block}};
  auto b = open();
  b->registerSink("cloud");
  for (int i = 0; i < 10; ++i) {
    auto r = events(1, "store.pos.receipt", 100);
    ASSERT_TRUE(b->append(r).ok());
    auto s = events(1, "store.sensor.reading", 100);
    ASSERT_TRUE(b->append(s).ok());
  }
  for (int i = 0; i < 20; ++i) {
    auto s = events(1, "store.sensor.reading", 100);
    ASSERT_TRUE(b->append(s).ok()) << i;
  }
  size_t receipts = 0;
  for (const Event& e : b->readAfter(0, 1000, 1 << 30)) receipts += e.type == "store.pos.receipt";
  EXPECT_EQ(receipts, 10u);
  EXPECT_GT(b->stats().dropped, 0u);
}

TEST_F(RocksBufferTest, AnUndecodableRecordIsQuarantinedAndDoesNotBlockDelivery) {
  {
    auto b = open();
    auto e = events(3);
    ASSERT_TRUE(b->append(e).ok());
  }
  {  // Damage event 2 behind the buffer's back.
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n :
         {"default", "events", "cursors", "state", "dedup", "dead_letters", "quarantine"}) {
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), (dir_ / "buffer").string(), cfs, &h, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[1], sequenceKey(2), "garbage").ok());
    for (auto* x : h) (void)db->DestroyColumnFamilyHandle(x);
    delete db;
  }
  auto b = open();
  EXPECT_EQ(sequences(b->readAfter(0, 10, 1 << 20)), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(b->stats().quarantined, 1u);
  const auto q = b->listQuarantine(10);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].first, 2u);
  EXPECT_NE(q[0].second.find("magic"), std::string::npos) << q[0].second;
}

TEST_F(RocksBufferTest, ACorruptDatabaseIsReportedAndLeftUntouched) {
  { auto b = open(); }
  test::writeFile(dir_ / "buffer" / "CURRENT", "MANIFEST-999999\n");
  std::string error;
  EXPECT_FALSE(RocksBuffer::open(dir_ / "buffer", options_, error));
  EXPECT_NE(error.find((dir_ / "buffer").string()), std::string::npos) << error;
  EXPECT_NE(error.find("move it aside"), std::string::npos) << error;
  EXPECT_EQ(test::readFile(dir_ / "buffer" / "CURRENT"), "MANIFEST-999999\n");
}

TEST_F(RocksBufferTest, ASecondProcessOnTheSameDirectoryIsRefused) {
  auto b = open();
  std::string error;
  EXPECT_FALSE(RocksBuffer::open(dir_ / "buffer", options_, error));
  EXPECT_NE(error.find("in use by another process"), std::string::npos) << error;
}

TEST_F(RocksBufferTest, LowDiskPausesIngestAndSpaceReturningResumesIt_FakeDisk) {
  options_.disk_min_free_bytes = 100 << 20;
  options_.disk_resume_free_bytes = 200 << 20;
  std::atomic<uint64_t> free_bytes{1ull << 30};
  auto b = open([&](const std::filesystem::path&) { return free_bytes.load(); });
  auto e = events(1);
  ASSERT_TRUE(b->append(e).ok());
  free_bytes = 50 << 20;
  b->maintain();
  const Status paused = b->append(e);
  EXPECT_EQ(paused.code, SG_ERR_BACKPRESSURE);
  EXPECT_NE(paused.message.find("ingest paused"), std::string::npos) << paused.message;
  EXPECT_TRUE(b->stats().disk_paused);
  free_bytes = 150 << 20;  // between the watermarks: still paused
  b->maintain();
  EXPECT_EQ(b->append(e).code, SG_ERR_BACKPRESSURE);
  free_bytes = 300 << 20;
  b->maintain();
  EXPECT_TRUE(b->append(e).ok());
}

TEST_F(RocksBufferTest, BatchAndNoneDurabilityAlsoKeepEverythingAcrossACleanRestart) {
  for (Durability d : {Durability::Batch, Durability::None}) {
    test::TempDir dir;
    options_.durability = d;
    {
      std::string error;
      auto b = RocksBuffer::open(dir / "buffer", options_, error);
      ASSERT_TRUE(b) << error;
      auto e = events(100);
      ASSERT_TRUE(b->append(e).ok());
    }
    std::string error;
    auto b = RocksBuffer::open(dir / "buffer", options_, error);
    ASSERT_TRUE(b) << error;
    EXPECT_EQ(b->readAfter(0, 1000, 1 << 30).size(), 100u) << toString(d);
  }
}

TEST_F(RocksBufferTest, DeadLettersAreKeptWithTheirReason) {
  auto b = open();
  auto e = events(2);
  ASSERT_TRUE(b->append(e).ok());
  ASSERT_TRUE(b->deadLetter("cloud", e[1], "HTTP 422: schema mismatch").ok());
  const auto dl = b->listDeadLetters(10);
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].first, 2u);
  EXPECT_EQ(dl[0].second, "HTTP 422: schema mismatch");
  EXPECT_EQ(b->stats().dead_letters, 1u);
}

TEST_F(RocksBufferTest, MetricsNameTheBufferAndRocksDbFigures) {
  auto b = open();
  auto e = events(5);
  ASSERT_TRUE(b->append(e).ok());
  MetricWriter w;
  b->collect(w);
  const std::string text = w.text();
  for (const char* name : {"storegate_buffer_events_in_total 5", "storegate_rocksdb_memtable_bytes",
                           "storegate_rocksdb_block_cache_bytes", "storegate_buffer_disk_bytes",
                           "storegate_buffer_commit_seconds_bucket{le=\"+Inf\"} 1",
                           "# TYPE storegate_buffer_commit_seconds histogram"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

TEST(SequenceKeys, SortBytewiseInNumericOrder) {
  EXPECT_LT(sequenceKey(255), sequenceKey(256));
  EXPECT_LT(sequenceKey(1), sequenceKey(1ull << 40));
  EXPECT_EQ(sequenceFromKey(sequenceKey(0x0102030405060708ull)), 0x0102030405060708ull);
}

}  // namespace storegate

namespace storegate {
namespace {

// The newest write-ahead log of a closed database (the one a lost tail would be cut from).
std::filesystem::path newestWal(const std::filesystem::path& db) {
  std::filesystem::path newest;
  for (const auto& f : std::filesystem::directory_iterator(db)) {
    if (f.path().extension() != ".log") continue;
    if (newest.empty() || f.path().filename().string() > newest.filename().string())
      newest = f.path();
  }
  return newest;
}

}  // namespace

TEST_F(RocksBufferTest, TheMarkFollowsWhatWasAcknowledgedAndReservesAhead) {
  auto b = open();
  auto e = events(50);
  ASSERT_TRUE(b->append(e).ok());
  b->maintain();  // brings the mark up to date when the writer is idle
  EXPECT_EQ(b->ackedMark().acknowledged, 50u);
  EXPECT_GE(b->ackedMark().reserved, 100'000u);  // reserved in one step ahead of the writer
}

TEST_F(RocksBufferTest, ALostLogTailIsRefusedNamingTheMissingSequencesUntilTheLossIsAccepted) {
  {
    auto b = open();
    for (int i = 0; i < 20; ++i) {
      auto e = events(10, "test.event", 100);
      ASSERT_TRUE(b->append(e).ok());
    }
  }
  const auto wal = newestWal(dir_ / "buffer");
  ASSERT_FALSE(wal.empty());
  std::filesystem::resize_file(wal, std::filesystem::file_size(wal) / 2);

  std::string error;
  EXPECT_FALSE(RocksBuffer::open(dir_ / "buffer", options_, error));
  EXPECT_NE(error.find("acknowledged events are missing"), std::string::npos) << error;
  EXPECT_NE(error.find("..200 were acknowledged"), std::string::npos) << error;
  EXPECT_NE(error.find("--accept-buffer-loss"), std::string::npos) << error;
  // Refused again: nothing was changed by the refusal.
  EXPECT_FALSE(RocksBuffer::open(dir_ / "buffer", options_, error));

  options_.accept_loss = true;
  uint64_t kept = 0;
  {
    auto b = open();
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->acceptedLoss());
    kept = b->readAfter(0, 1000, 1 << 30).size();
    auto more = events(1);
    ASSERT_TRUE(b->append(more).ok());
    EXPECT_GT(more[0].sequence, 200u) << "a number handed out before the loss was reused";
  }
  EXPECT_LT(kept, 200u);
  options_.accept_loss = false;
  auto b = open();  // accepted once: the next start checks against the new mark and passes
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->acceptedLoss());
}

TEST_F(RocksBufferTest, FlippedBytesInTheLogAreNoticedLikeALostTail) {
  {
    auto b = open();
    for (int i = 0; i < 20; ++i) {
      auto e = events(10, "test.event", 100);
      ASSERT_TRUE(b->append(e).ok());
    }
  }
  const auto wal = newestWal(dir_ / "buffer");
  std::string bytes = test::readFile(wal);
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] = char(~bytes[i]);
  test::writeFile(wal, bytes);
  std::string error;
  EXPECT_FALSE(RocksBuffer::open(dir_ / "buffer", options_, error));
  EXPECT_NE(error.find("acknowledged events are missing"), std::string::npos) << error;
}

TEST_F(RocksBufferTest, AnUnreadableMarkIsWrittenAnewAndATornSlotFallsBackToTheOther) {
  {
    auto b = open();
    auto e = events(5);
    ASSERT_TRUE(b->append(e).ok());
  }
  const auto mark = dir_ / "buffer" / "ACKNOWLEDGED";
  // One slot torn (the other holds the last good value): that value is used.
  std::string bytes = test::readFile(mark);
  ASSERT_EQ(bytes.size(), 2 * AckedMark::kSlotBytes);
  const auto a = AckedMark::decodeSlot(std::string_view(bytes).substr(0, 32));
  const auto c = AckedMark::decodeSlot(std::string_view(bytes).substr(32, 32));
  ASSERT_TRUE(a && c);
  const size_t newer = a->acknowledged >= c->acknowledged ? 0 : 32;
  bytes[newer + 12] = char(~bytes[newer + 12]);
  test::writeFile(mark, bytes);
  {
    auto b = open();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->stats().last_sequence, 5u);
    EXPECT_GE(b->ackedMark().acknowledged, 5u);
  }
  // Both slots garbage: a warning, and the mark is made again from the log.
  test::writeFile(mark, std::string(64, '\x7f'));
  auto b = open();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->ackedMark().acknowledged, 5u);
  EXPECT_TRUE(AckedMark::decodeSlot(test::readFile(mark).substr(0, 32)));
}

TEST(AckedMarkSlots, RefuseEveryDamagedOrInconsistentSlot) {
  const std::string good = AckedMark::encodeSlot({7, 9});
  ASSERT_EQ(good.size(), AckedMark::kSlotBytes);
  ASSERT_TRUE(AckedMark::decodeSlot(good));
  EXPECT_EQ(AckedMark::decodeSlot(good)->acknowledged, 7u);
  EXPECT_EQ(AckedMark::decodeSlot(good)->reserved, 9u);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = char(bad[i] ^ 0x01);
    EXPECT_FALSE(AckedMark::decodeSlot(bad)) << "byte " << i;
  }
  EXPECT_FALSE(AckedMark::decodeSlot(good.substr(0, 31)));
  EXPECT_FALSE(AckedMark::decodeSlot(AckedMark::encodeSlot({9, 7})));  // reserved below acked
}

}  // namespace storegate

namespace storegate {

// Retention as a property: over random sequences of appends, sinks added to and removed
// from the config, acknowledgements, internal readers' commits, trims and restarts, every
// event a configured sink has not acknowledged stays readable, and with no sink configured
// nothing is ever trimmed.
TEST_F(RocksBufferTest, RandomChangesRestartsAndFailuresNeverTrimWhatASinkStillNeeds) {
  options_.quota_bytes = 0;  // drops by quota are their own (reported) loss, not retention
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    test::TempDir dir;
    std::mt19937 rng(seed);
    auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    const std::vector<std::string> sinks = {"cloud", "archive", "file"};
    std::set<std::string> configured;
    std::map<std::string, uint64_t> acked;  // the model's cursors
    std::map<std::string, uint64_t> floor;  // held from here on (since it was last added)
    std::vector<uint64_t> appended;
    bool ever_configured = false;
    std::string error;
    auto b = RocksBuffer::open(dir / "buffer", options_, error);
    ASSERT_TRUE(b) << error;
    for (int step = 0; step < 250; ++step) {
      switch (pick(8)) {
        case 0:
        case 1: {
          auto e = events(1 + pick(20));
          ASSERT_TRUE(b->append(e).ok());
          for (const auto& ev : e) appended.push_back(ev.sequence);
          break;
        }
        case 2: {  // a sink added to the config (it may fail at once and never acknowledge)
          const auto& s = sinks[pick(sinks.size())];
          // Back after a removal: what was trimmed meanwhile is gone by design (a removed
          // sink holds nothing back); from now on it holds everything again.
          if (!configured.count(s)) floor[s] = appended.empty() ? 0 : appended.back();
          configured.insert(s);
          ever_configured = true;
          b->registerSink(s);
          break;
        }
        case 3: {  // a sink removed from the config
          const auto& s = sinks[pick(sinks.size())];
          configured.erase(s);
          b->unregisterSink(s);
          break;
        }
        case 4: {  // a configured sink acknowledges a prefix
          if (configured.empty() || appended.empty()) break;
          auto it = configured.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(configured.size())));
          const uint64_t from = b->cursor(*it);
          const uint64_t upto = appended.back();
          if (upto <= from) break;
          const uint64_t to = from + 1 + pick(upto - from);
          ASSERT_TRUE(b->commitCursor(*it, to).ok());
          acked[*it] = to;
          break;
        }
        case 5:  // the core's own reader runs far ahead: it must never hold or release
          if (!appended.empty()) {
            ASSERT_TRUE(b->commitCursor("_admin_remote", appended.back()).ok());
          }
          break;
        case 6:
          b->maintain();
          break;
        case 7: {  // a restart: the daemon re-registers what its config names
          b.reset();
          b = RocksBuffer::open(dir / "buffer", options_, error);
          ASSERT_TRUE(b) << error;
          for (const auto& s : configured) b->registerSink(s);
          break;
        }
      }
      // The property, after every step.
      for (const auto& s : configured) {
        const uint64_t cursor = acked.count(s) ? acked[s] : 0;
        ASSERT_EQ(b->cursor(s), cursor) << s;
        const auto got = sequences(b->readAfter(cursor, 1'000'000, 1u << 30));
        const std::set<uint64_t> have(got.begin(), got.end());
        for (uint64_t q : appended) {
          if (q > std::max(cursor, floor[s])) {
            ASSERT_TRUE(have.count(q)) << "sink " << s << " lost event " << q
                                       << " it never acknowledged (step " << step << ")";
          }
        }
      }
      if (!ever_configured) {
        ASSERT_EQ(b->readAfter(0, 1'000'000, 1u << 30).size(), appended.size())
            << "trimmed with no sink configured (step " << step << ")";
      }
    }
  }
}

}  // namespace storegate
