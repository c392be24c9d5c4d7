// Crash safety of the real daemon: SIGKILL at random moments and at fixed points; after
// every restart, each event whose emit had returned reaches the sink, in order, with
// duplicates only from batches in flight. STOREGATE_CRASH_KILLS=500 runs the long version.
#include <random>

#include "integration/crash_lab.hpp"

namespace storegate {
namespace {

class Crash : public test::CrashLab {
 protected:
  void SetUp() override { writeConfig(); }
};

}  // namespace

TEST_F(Crash, KilledAtRandomMomentsLosesNoAcknowledgedEvent) {
  const int kills = test::countFromEnv("STOREGATE_CRASH_KILLS", 24);
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> moment_ms(80, 700);
  for (int i = 0; i < kills; ++i) {
    auto d = start();
    const size_t before = recorded().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    ASSERT_TRUE(d->running()) << "the daemon died by itself after restart " << i << "\n"
                              << d->output();
    d->signal(SIGKILL);
    ASSERT_EQ(d->wait(), -SIGKILL);
    if (i == kills - 1) {
      EXPECT_GT(recorded().size(), before) << "no progress after restart " << i;
    }
  }
  drainAndStop();
  verify(kills + 1);
}

TEST_F(Crash, KilledAtEachFixedPointRestartsWithoutCrashLoopingAndLosesNothing) {
  std::mt19937 rng(7);
  int restarts = 0;
  for (const char* point :
       {"after_commit_before_ack", "after_deliver_before_cursor", "during_trim"}) {
    for (int round = 0; round < 2; ++round) {
      const int pass = std::uniform_int_distribution<int>(2, 12)(rng);
      auto d = start({"STOREGATE_CRASH_AT=" + std::string(point) + ":" + std::to_string(pass)});
      ASSERT_EQ(d->wait(std::chrono::seconds(30)), -SIGKILL)
          << point << " was never reached or did not kill\n"
          << d->output();
      ++restarts;
      // The next start, without a failpoint, must come up and make progress.
      auto again = start();
      const size_t before = recorded().size();
      ASSERT_TRUE(test::waitUntil([&] { return recorded().size() > before + 20; },
                                  std::chrono::seconds(20)))
          << "no progress after a kill at " << point << "\n"
          << again->output();
      ASSERT_TRUE(again->running()) << "crash loop after a kill at " << point;
      again->signal(SIGKILL);
      ASSERT_EQ(again->wait(), -SIGKILL);
      ++restarts;
    }
  }
  drainAndStop();
  verify(restarts + 1);
}

}  // namespace storegate
