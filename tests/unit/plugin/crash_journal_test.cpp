#include "plugin/crash_journal.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace storegate {
namespace {

using namespace std::chrono_literals;

TEST(CrashJournal, ThreeDeathsInTheWindowBreakAnInstanceUntilItIsCleared) {
  test::TempDir dir;
  const auto journal = dir / "crashes";
  const int64_t now = 1'800'000'000;
  test::writeFile(journal,
                  std::to_string(now - 5000) + " SIGSEGV old\n" +  // outside the window
                      std::to_string(now - 4000) + " SIGSEGV old\n" + std::to_string(now - 100) +
                      " SIGSEGV old\n" + std::to_string(now - 300) + " SIGSEGV boom\n" +
                      std::to_string(now - 200) + " SIGABRT boom\n" + "garbage line here x\n" +
                      std::to_string(now - 150) + " SIGSEGV\n" +  // cut by a power cut
                      std::to_string(now - 100) + " SIGBUS boom\n" + std::to_string(now - 50) +
                      " SIGSEGV -\n");
  crash::Verdict v = crash::read(journal, 3, 600s, now);
  EXPECT_EQ(v.broken, std::set<std::string>{"boom"});
  EXPECT_EQ(v.unattributed, 1);

  // Marked broken: it stays so after the window has passed…
  ASSERT_TRUE(crash::mark(journal, "broken", "boom", now).ok());
  EXPECT_EQ(crash::read(journal, 3, 600s, now + 7200).broken, std::set<std::string>{"boom"});
  // …until an operator starts it again.
  ASSERT_TRUE(crash::mark(journal, "clear", "boom", now + 7200).ok());
  EXPECT_TRUE(crash::read(journal, 3, 600s, now + 7200).broken.empty());
  EXPECT_TRUE(crash::read(journal, 3, 600s, now).broken.empty()) << "cleared after its crashes";
}

TEST(CrashJournal, AMissingHugeOrDamagedJournalNeverStopsAStart) {
  test::TempDir dir;
  EXPECT_TRUE(crash::read(dir / "none", 3, 600s, 0).broken.empty());
  std::string big(300 * 1024, 'x');  // no newline for 300 KiB, then real lines
  big += "\n";
  for (int i = 0; i < 3; ++i) big += "1000 SIGSEGV tail\n";
  test::writeFile(dir / "big", big);
  EXPECT_EQ(crash::read(dir / "big", 3, 600s, 1100).broken, std::set<std::string>{"tail"});
  test::writeFile(dir / "binary", std::string("\0\xff\n\n 1 2 3 4\n-5 SIGSEGV a\n", 26));
  // The binary lines and the five-field one are skipped; "-5 SIGSEGV a" is a record.
  EXPECT_EQ(crash::read(dir / "binary", 1, 600s, 0).broken, std::set<std::string>{"a"});
}

}  // namespace
}  // namespace storegate
