// Crash-safe whole-file writes: the new bytes or the old, never half; exact modes; no
// temporary left behind; failures named.
#include "common/file_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace storegate {
namespace {

size_t entriesIn(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(WriteFileDurably, ReplacesTheFileWholeWithTheModeAskedForAndLeavesNoTemporary) {
  test::TempDir dir;
  const auto file = dir / "tokens";
  test::writeFile(file, "old\n");
  ASSERT_TRUE(writeFileDurably(file, "new contents\n", 0600).ok());
  EXPECT_EQ(test::readFile(file), "new contents\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "whatever the umask";
  EXPECT_EQ(entriesIn(dir.path()), 1u) << "no .part file left";
}

TEST(WriteFileDurably, AFailureLeavesTheOldFileAndSaysWhere) {
  test::TempDir dir;
  const auto file = dir / "missing-dir" / "config.yaml";
  const Status s = writeFileDurably(file, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("missing-dir"), std::string::npos) << s.message;
  // A directory where the file should be: the rename fails; nothing else changes.
  std::filesystem::create_directories(dir / "is-a-dir" / "child");
  const Status r = writeFileDurably(dir / "is-a-dir", "x");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir / "is-a-dir" / "child"));
  EXPECT_EQ(entriesIn(dir.path()), 1u) << "the temporary was removed";
}

TEST(WriteFileDurably, ConcurrentWritersOfOneFileEachLeaveAWholeFile) {
  test::TempDir dir;
  const auto file = dir / "desired.json";
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(writeFileDurably(file, std::string(1000, char('a' + t))).ok());
    });
  }
  for (auto& w : writers) w.join();
  const std::string last = test::readFile(file);
  ASSERT_EQ(last.size(), 1000u);
  EXPECT_EQ(last, std::string(1000, last[0])) << "one writer's bytes, whole";
  EXPECT_EQ(entriesIn(dir.path()), 1u);
}

}  // namespace
}  // namespace storegate

namespace storegate {

// A crash mid-write leaves "<file>.part-<pid>-<n>"; pids repeat across a router's boots, so
// the next run's first write could meet its own name taken (EEXIST: the write failed).
TEST(WriteFileDurably, TemporariesLeftByDeadWritersNeitherBlockNorPileUp) {
  test::TempDir dir;
  const auto file = dir / "tokens";
  const std::string mine = file.string() + ".part-" + std::to_string(::getpid()) + "-";
  for (int n = 0; n < 1000; ++n) test::writeFile(mine + std::to_string(n), "stale");
  const std::string dead = file.string() + ".part-999999999-7";  // above any pid_max
  test::writeFile(dead, "stale");
  ASSERT_TRUE(writeFileDurably(file, "fresh", 0600).ok());
  EXPECT_EQ(test::readFile(file), "fresh");
  EXPECT_FALSE(std::filesystem::exists(dead)) << "a dead writer's temporary is removed";
}

TEST(CreateDirectoriesDurably, MakesEveryMissingLevelAndRefusesAFileInTheWay) {
  test::TempDir dir;
  const auto deep = dir / "a" / "b" / "c";
  ASSERT_TRUE(createDirectoriesDurably(deep).ok());
  EXPECT_TRUE(std::filesystem::is_directory(deep));
  EXPECT_TRUE(createDirectoriesDurably(deep).ok()) << "an existing directory is fine";
  test::writeFile(dir / "file", "x");
  const Status s = createDirectoriesDurably(dir / "file" / "sub");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find((dir / "file").string()), std::string::npos) << s.message;
  EXPECT_FALSE(createDirectoriesDurably(dir / "file").ok()) << "a file is not a directory";
}

}  // namespace storegate
