// Power cuts, simulated: data_dir lives on storegate-power-cut-fs (tests/powercut), which
// keeps only what was fsynced (file bytes by fsync of the file, entries by fsync of their
// directory) and throws the rest away at a cut, as a router's flash does when the plug is
// pulled. `kill -9` leaves the page cache intact and so cannot show this.
//
// The loop cuts the power at random moments while events flow and the API changes tokens,
// config and builds; after every cut the buffer must open, and at the end every acknowledged
// event must reach the sink. STOREGATE_POWER_CUTS=2000 runs the long version. Mounting FUSE
// needs /dev/fuse and root (or fusermount3); where it cannot, the tests say so and skip.
#include <fcntl.h>
#include <httplib.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "buffer/rocksdb_buffer.hpp"
#include "common/file_io.hpp"
#include "common/metrics.hpp"
#include "integration/crash_lab.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

class PowerCut : public test::CrashLab {
 protected:
  std::filesystem::path mnt_ = dir_ / "data";
  std::unique_ptr<test::Process> fs_;
  int cuts_ = 0;
  int port_ = test::freeLoopbackPort();

  void SetUp() override {
    const std::filesystem::path program = STOREGATE_POWER_CUT_FS;
    if (program.empty()) GTEST_SKIP() << "built without libfuse3-dev: no power-cut filesystem";
    if (::access("/dev/fuse", R_OK | W_OK) != 0)
      GTEST_SKIP() << "no usable /dev/fuse on this machine: power cuts cannot be simulated";
    std::filesystem::create_directories(mnt_);
    fs_ = std::make_unique<test::Process>(program, std::vector<std::string>{mnt_.string()},
                                          dir_ / "fs.log");
    const bool mounted = test::waitUntil(
        [&] {
          struct statfs st {};
          return ::statfs(mnt_.c_str(), &st) == 0 && st.f_type == FUSE_SUPER_MAGIC;
        },
        10s);
    if (!mounted) {
      const std::string why = fs_->output();
      fs_.reset();
      GTEST_SKIP() << "cannot mount FUSE here (needs root or fusermount3): " << why;
    }
  }

  void TearDown() override {
    if (!fs_) return;
    fs_->signal(SIGRTMIN + 1);  // a frozen disk would hold the unmount
    fs_->signal(SIGTERM);       // fuse_main unmounts on SIGTERM
    fs_->wait(10s);
    ::umount2(mnt_.c_str(), MNT_DETACH);  // only if the filesystem process died without it
  }

  // The power goes (everything unsynced is thrown away, every call fails) and stays off
  // until `powerBack`.
  void cut() {
    ++cuts_;
    fs_->signal(SIGUSR1);
    const std::string want = "cut " + std::to_string(cuts_) + " ";
    ASSERT_TRUE(test::waitUntil([&] { return fs_->output().find(want) != std::string::npos; }, 5s))
        << fs_->output();
  }
  void powerBack() {
    fs_->signal(SIGUSR2);
    const std::string want = "up " + std::to_string(cuts_) + "\n";
    ASSERT_TRUE(test::waitUntil([&] { return fs_->output().find(want) != std::string::npos; }, 5s))
        << fs_->output();
  }

  // A disk that hangs (every call waits), one whose syncs fail while writes land, and back.
  void freeze() { switchDisk(SIGRTMIN, "frozen\n"); }
  void failSyncs() { switchDisk(SIGRTMIN + 2, "syncs failing\n"); }
  void normal() { switchDisk(SIGRTMIN + 1, "normal\n"); }
  void switchDisk(int sig, const std::string& line) {
    const auto count = [&] {
      const std::string out = fs_->output();
      size_t n = 0;
      for (size_t at = out.find(line); at != std::string::npos; at = out.find(line, at + 1)) ++n;
      return n;
    };
    const size_t before = count();
    fs_->signal(sig);
    ASSERT_TRUE(test::waitUntil([&] { return count() > before; }, 5s)) << fs_->output();
  }
  std::string log() { return test::readFile(dir_ / "daemon.log"); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2);
    c.set_read_timeout(10);
    return c;
  }
};

}  // namespace

TEST_F(PowerCut, TheFilesystemKeepsOnlyWhatWasSynced) {
  ASSERT_OK(writeFileDurably(mnt_ / "durable", "kept"));
  ASSERT_OK(createDirectoriesDurably(mnt_ / "a" / "b"));
  ASSERT_OK(writeFileDurably(mnt_ / "a" / "b" / "deep", "deep"));
  test::writeFile(mnt_ / "plain", "never synced");
  {
    // The file's bytes are synced but its directory entry is not: it vanishes with it.
    const int fd = ::open((mnt_ / "entry-not-synced").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "abc", 3), 3);
    ASSERT_EQ(::fsync(fd), 0);
    ::close(fd);
  }
  { std::ofstream(mnt_ / "durable", std::ios::app) << " and this is lost"; }
  std::filesystem::rename(mnt_ / "a" / "b" / "deep", mnt_ / "a" / "b" / "renamed");

  cut();
  struct stat st {};
  EXPECT_EQ(::stat((mnt_ / "durable").c_str(), &st), -1);
  EXPECT_EQ(errno, EIO) << "every call fails while the power is off";
  powerBack();

  EXPECT_FALSE(std::filesystem::exists(mnt_ / "plain"));
  EXPECT_FALSE(std::filesystem::exists(mnt_ / "entry-not-synced"));
  EXPECT_EQ(test::readFile(mnt_ / "durable"), "kept");
  EXPECT_EQ(test::readFile(mnt_ / "a" / "b" / "deep"), "deep") << "the rename was never synced";
  EXPECT_FALSE(std::filesystem::exists(mnt_ / "a" / "b" / "renamed"));
  EXPECT_NE(fs_->output().find("cut 1 unsynced_files=2 unsynced_dirs=2"), std::string::npos)
      << fs_->output();
}

TEST_F(PowerCut, AWriteThatFailsIsRefusedAsOneAndTheBufferReopensWithWhatWasSynced) {
  BufferOptions options;
  options.maintenance_interval = std::chrono::hours(1);
  options.disk_min_free_bytes = 64 << 20;  // the pretend disk has 4 GiB: never the reason
  options.disk_resume_free_bytes = 128 << 20;
  options.store_id = "store-1";
  std::vector<Event> acknowledged(20);
  for (auto& e : acknowledged) {
    e.type = "test.event";
    e.data = "{}";
  }
  {
    std::string error;
    auto b = RocksBuffer::open(mnt_ / "buffer", options, error);
    ASSERT_TRUE(b) << error;
    ASSERT_OK(b->append(acknowledged));
    cut();
    std::vector<Event> more(1, acknowledged[0]);
    Status refused = b->append(more);
    if (refused.ok()) refused = b->append(more);  // the first failure may surface on the next
    ASSERT_FALSE(refused.ok());
    refused = b->append(more);  // now paused
    EXPECT_EQ(refused.code, SG_ERR_BACKPRESSURE) << refused.message;
    EXPECT_NE(refused.message.find("failed (the disk reported an I/O error"), std::string::npos)
        << refused.message;
    EXPECT_EQ(refused.message.find("bytes free"), std::string::npos)
        << "not a free-space refusal: " << refused.message;
  }  // closes while the power is off, as a router does not: nothing more reaches the disk
  powerBack();
  std::string error;
  auto b = RocksBuffer::open(mnt_ / "buffer", options, error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->stats().last_sequence, acknowledged.back().sequence);
  EXPECT_EQ(b->readAfter(0, 100, 1 << 20).size(), acknowledged.size());
}

TEST_F(PowerCut, ABatchModeSyncThatFailsIsCountedAndNeverTakenForDurability) {
  BufferOptions options;
  options.durability = Durability::Batch;
  options.batch_sync_interval = std::chrono::milliseconds(100);  // its own thread syncs
  options.disk_min_free_bytes = 0;
  options.disk_resume_free_bytes = 0;
  options.store_id = "store-1";
  const auto syncFailures = [](RocksBuffer& b) {
    MetricWriter w;
    b.collect(w);
    const std::string text = w.text();
    const std::string name = "\nstoregate_buffer_wal_sync_failures_total ";
    const size_t at = text.find(name);
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + name.size()));
  };
  const auto events = [](size_t n) {
    std::vector<Event> out(n);
    for (auto& e : out) {
      e.type = "test.event";
      e.data = "{}";
    }
    return out;
  };
  std::string error;
  auto b = RocksBuffer::open(mnt_ / "buffer", options, error);
  ASSERT_TRUE(b) << error;
  auto first = events(10);
  ASSERT_OK(b->append(first));
  ASSERT_TRUE(test::waitUntil([&] { return b->ackedMark().acknowledged == 10; }, 5s));
  EXPECT_EQ(syncFailures(*b), 0);

  failSyncs();
  auto second = events(5);
  ASSERT_OK(b->append(second));  // batch mode: written, durable at the next good sync
  ASSERT_TRUE(test::waitUntil([&] { return syncFailures(*b) >= 1; }, 5s))
      << "a failed sync is counted";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(b->ackedMark().acknowledged, 10u) << "and never taken for durability";

  // RocksDB does not take writes again in process after a failed log sync; a restart
  // (systemd's, or an operator's) recovers everything the log holds.
  normal();
  b.reset();
  b = RocksBuffer::open(mnt_ / "buffer", options, error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->stats().last_sequence, 15u);
  auto third = events(1);
  EXPECT_TRUE(b->append(third).ok());
}

// Whichever thread the freeze catches first — the writer in a commit, a caller in a dedup
// lookup, a sink in a read — the pings stop (the watchdog watches every call into the
// buffer, not only the writer).
TEST_F(PowerCut, AHungDiskStopsTheWatchdogPingsUntilItAnswersAgain) {
  writeConfig("admin: {enabled: false}\n");
  const auto socket_path = dir_ / "notify";
  test::NotifySocket systemd(socket_path);
  test::Process d(test::storegatedPath(), {"--config", config_.string()}, dir_ / "stderr.log",
                  {"NOTIFY_SOCKET=" + socket_path.string(), "WATCHDOG_USEC=1000000"});
  // Declared after the daemon, so it runs first: a frozen disk would hold its SIGKILL.
  struct Thaw {
    test::Process* fs;
    ~Thaw() { fs->signal(SIGRTMIN + 1); }
  } thaw{fs_.get()};
  ASSERT_TRUE(systemd.receiveUntil("READY=1", 20s)) << d.output();
  ASSERT_TRUE(systemd.receiveUntil("WATCHDOG=1", 3s));
  freeze();
  // The writer or a caller hangs on the disk; past the watchdog interval the pings stop.
  ASSERT_TRUE(test::waitUntil(
      [&] { return log().find("not pinging the watchdog") != std::string::npos; }, 10s))
      << log();
  EXPECT_TRUE(log().find("the buffer's writer has been in one commit") != std::string::npos ||
              log().find("a call into the buffer has waited for the disk") != std::string::npos)
      << log();
  systemd.countFor("WATCHDOG=1", 300ms);  // pings sent before the line was written
  EXPECT_EQ(systemd.countFor("WATCHDOG=1", 2s), 0) << "pinged while the disk hung";
  EXPECT_TRUE(d.running());
  normal();
  EXPECT_TRUE(systemd.receiveUntil("WATCHDOG=1", 10s)) << "no ping after the disk answered";
  EXPECT_TRUE(test::waitUntil(
      [&] { return log().find("pinging the watchdog again") != std::string::npos; }, 5s));
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(20s), 0) << d.output();
}

TEST_F(PowerCut, FailingCursorCommitsBackOffInsteadOfResendingInAHotLoop) {
  // A second sink slower than the source, so it still has events to deliver when the disk
  // goes (file_sink may have caught up).
  writeConfig("admin: {enabled: false}\n",
              "  - name: slow\n"
              "    plugin: flaky_sink\n"
              "    delivery: {max_events: " +
                  std::to_string(kSinkBatch) +
                  "}\n"
                  "    config: {record: slow.tsv, pause: 20ms}\n");
  const auto slowDelivered = [&] { return test::readLines(dir_ / "slow.tsv").size(); };
  auto d = start();
  ASSERT_TRUE(test::waitUntil([&] { return slowDelivered() > 200; }, 20s)) << d->output();
  // The disk fails every call: ingest stops and the slow sink's cursor cannot move, while
  // what it read is still in memory. What it delivered goes again only after a growing
  // backoff (100 ms, 200 ms, 400 ms ...), not in a hot loop (a delivery takes 20 ms).
  cut();
  ASSERT_TRUE(test::waitUntil(
      [&] { return log().find("cannot advance cursor") != std::string::npos; }, 10s))
      << log();
  const size_t before = slowDelivered();
  const size_t out_before = delivered().size();
  std::this_thread::sleep_for(3s);
  const size_t resent = slowDelivered() - before;
  EXPECT_LE(resent, size_t(8 * kSinkBatch)) << "a hot resend loop";
  EXPECT_TRUE(d->running());
  d->signal(SIGKILL);
  EXPECT_EQ(d->wait(20s), -SIGKILL);
  powerBack();
  const size_t all_resent = delivered().size() - out_before + kSinkBatch;
  drainAndStop();
  verify(2, all_resent);
}

TEST_F(PowerCut, CutAtRandomMomentsLosesNoAcknowledgedEventTokenConfigOrBuild) {
  const int cuts = test::countFromEnv("STOREGATE_POWER_CUTS", 200);
  writeConfig("admin:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                  "\n  rate_per_second: 10000\n  burst: 10000\n  max_upload: 8MiB\n",
              "  - name: greeter\n"
              "    plugin: hello\n"
              "    config: {interval: 20ms, greeting: g-0}\n");
  const auto tokens_file = (mnt_ / "admin-tokens").string();
  // The changes the loop makes, as far as each was acknowledged before a cut.
  std::vector<std::string> tokens;
  std::string greeting = "g-0";
  std::string library;

  const auto addToken = [&](int n) {
    const auto [code, out] = test::runProgram(
        test::storegatectlPath(),
        {"token", "add", "ops-" + std::to_string(n), "--role", "admin", "--file", tokens_file});
    ASSERT_EQ(code, 0) << out;
    tokens.push_back(out.substr(0, out.find('\n')));
  };
  const auto bearer = [&](const std::string& token) {
    return httplib::Headers{{"Authorization", "Bearer " + token}};
  };
  // storegatectl adds only to a tokens file that exists (the first start would make one).
  test::writeFile(tokens_file, "");
  ::chmod(tokens_file.c_str(), 0600);
  addToken(0);

  const std::string hello = test::readFile(test::pluginDir() / "hello.so");
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<int> moment_ms(20, 300);
  for (int i = 0; i < cuts; ++i) {
    auto d = start();
    // The buffer opens after every cut, and what the API acknowledged is still there.
    ASSERT_TRUE(test::waitUntil(
        [&] {
          auto r = client().Get("/v1/health");
          return (r && r->status == 200) || !d->running();
        },
        30s));
    ASSERT_TRUE(d->running()) << "start " << i << " after " << cuts_ << " cuts failed\n"
                              << d->output() << test::readFile(dir_ / "daemon.log");
    for (size_t t : {size_t(0), tokens.size() - 1}) {
      auto r = client().Get("/v1/status", bearer(tokens[t]));
      ASSERT_TRUE(r && r->status == 200)
          << "token " << t << " of " << tokens.size() << " was lost at cut " << cuts_;
    }
    {
      auto r = client().Get("/v1/plugins/greeter", bearer(tokens[0]));
      ASSERT_TRUE(r && r->status == 200);
      const json g = json::parse(r->body);
      ASSERT_EQ(g["config"].value("greeting", ""), greeting)
          << "the config change was lost at cut " << cuts_ << ": " << g;
      if (!library.empty()) {
        ASSERT_EQ(g.value("library", ""), library) << "the uploaded build was lost: " << g;
      }
    }

    // One change, acknowledged, then the power goes at a random moment.
    if (i % 3 == 0) {
      addToken(i + 1);
    } else if (i % 20 == 4) {
      // A new build each time (an ELF with a trailer still loads), uploaded and swapped to.
      const std::string build = hello + "\npower-cut " + std::to_string(i);
      auto r = client().Post("/v1/plugins/greeter/upload", bearer(tokens[0]), build,
                             "application/octet-stream");
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
      library = json::parse(r->body).value("library", "");
    } else {
      const std::string next = "g-" + std::to_string(i);
      auto r = client().Put("/v1/plugins/greeter/config", bearer(tokens[0]),
                            json{{"config", {{"interval", "20ms"}, {"greeting", next}}}}.dump(),
                            "application/json");
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
      greeting = next;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    ASSERT_TRUE(d->running()) << "the daemon died by itself after start " << i << "\n"
                              << d->output();
    ASSERT_NO_FATAL_FAILURE(cut());
    d->signal(SIGKILL);
    ASSERT_EQ(d->wait(), -SIGKILL);
    ASSERT_NO_FATAL_FAILURE(powerBack());
  }
  drainAndStop();
  verify(cuts + 1);
  std::cout << "[ power    ] " << cuts_ << " cuts, " << tokens.size() << " tokens, last greeting "
            << greeting << ", last build " << library << "\n";
}

}  // namespace storegate
