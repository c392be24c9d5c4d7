// A real full disk under the buffer: a small tmpfs holds data_dir, the free-space watermarks
// are off, and RocksDB itself meets ENOSPC. Stop, start and resume while full must work.
// Mounting needs root (CI runs as root); elsewhere the test says so and skips.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <cstring>
#include <thread>

#include "support/test_support.hpp"

namespace storegate {
namespace {

using namespace std::chrono_literals;

class DiskFull : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path mnt_;
  bool mounted_ = false;

  void SetUp() override {
    mnt_ = dir_ / "data";
    std::filesystem::create_directories(mnt_);
    mounted_ = ::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=12m") == 0;
    if (!mounted_)
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  void TearDown() override {
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  std::filesystem::path writeConfig() {
    const auto path = dir_ / "storegate.yaml";
    test::writeFile(path,
                    "store_id: store-0042\n"
                    "data_dir: data\n"
                    "plugin_dirs: [\"" +
                        test::pluginDir().string() +
                        "\"]\n"
                        "log: {level: info, file: daemon.log}\n"
                        "admin: {enabled: false}\n"
                        "buffer: {disk_min_free: 0, disk_resume_free: 0, durability: batch}\n"
                        "plugins:\n"
                        "  - name: greeter\n"
                        "    plugin: hello\n"
                        "    config: {interval: 10ms, greeting: \"" +
                        std::string(8000, 'g') + "\"}\n");
    return path;
  }
  std::string log() { return test::readFile(dir_ / "daemon.log"); }
};

}  // namespace

TEST_F(DiskFull, AFullDiskNeverAbortsAndIngestResumesWhenSpaceReturns) {
  const auto config = writeConfig();
  // Leave 6 MiB: room for the buffer's 1 MiB reserve, and the write-ahead log (800 KB/s of
  // greetings) fills the rest in seconds.
  test::writeFile(mnt_ / "filler", std::string(6 << 20, 'f'));
  {
    test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "1.log");
    ASSERT_TRUE(
        test::waitUntil([&] { return log().find("No space left") != std::string::npos; }, 60s))
        << daemon.output();
    std::this_thread::sleep_for(1s);
    EXPECT_TRUE(daemon.running());
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(20s), 0) << "a stop while the disk is full\n" << daemon.output();
  }
  {
    // A start while the disk is still full: it opens with the reserve's room, runs (ingest
    // refused), and stops cleanly.
    test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "2.log");
    std::this_thread::sleep_for(3s);
    EXPECT_TRUE(daemon.running()) << daemon.output();
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(20s), 0) << "a start while the disk is full\n" << daemon.output();
  }
  {
    const size_t start = log().size();
    test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "3.log");
    ASSERT_TRUE(test::waitUntil(
        [&] { return log().find("No space left", start) != std::string::npos; }, 60s))
        << "the disk never filled again\n"
        << log().substr(start);
    const size_t before = log().size();
    // Space returns (the filesystem grows, as an operator would clear or extend it): the
    // buffer resumes and takes events again.
    std::filesystem::remove(mnt_ / "filler");
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", MS_REMOUNT, "size=96m"), 0);
    ASSERT_TRUE(test::waitUntil(
        [&] { return log().find("ingest resumed", before) != std::string::npos; }, 20s))
        << log().substr(before > 3000 ? before - 3000 : 0);
    EXPECT_TRUE(daemon.running());
    EXPECT_EQ(log().find("cannot resume", before), std::string::npos) << log().substr(before);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(20s), 0) << daemon.output();
  }
}

}  // namespace storegate
