// Hot swap under load: a counting source keeps emitting while it is swapped to new
// builds; nothing it produced may be lost, repeated or reordered, and old builds must
// really leave the process (or be retired and reported when they cannot).
#include <gtest/gtest.h>

#include "buffer/memory_buffer.hpp"
#include "plugin/manager.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

class HotSwap : public ::testing::Test {
 protected:
  test::TempDir dir_;
  MemoryBuffer buffer_{50'000'000};
  Ingest ingest_{buffer_, "store-1"};
  PluginManager manager_{{dir_.path()},
                         HostServices{&ingest_, &buffer_, "store-1"},
                         buffer_,
                         /*trust=*/nullptr};

  // Installs the fixture `plugin` as build number `n` at its own versioned path, the way
  // an upgrade is delivered (never overwriting a mapped file).
  std::filesystem::path build(const std::string& plugin, int n) {
    const auto path = dir_ / (plugin + "-v" + std::to_string(n) + ".so");
    std::filesystem::copy_file(test::fixtureDir() / (plugin + ".so"), path);
    return path;
  }

  InstanceSpec spec(const std::string& plugin, const std::filesystem::path& library) {
    InstanceSpec s;
    s.name = "count";
    s.plugin = plugin;
    s.library = library;
    s.config = {{"pause_us", 50}};
    s.path = "plugins[0]";
    return s;
  }

  void expectExactlyOnceInOrder() {
    const auto events = buffer_.snapshot();
    ASSERT_FALSE(events.empty());
    for (size_t i = 0; i < events.size(); ++i) {
      const auto seq = nlohmann::json::parse(events[i].data)["seq"].get<uint64_t>();
      ASSERT_EQ(seq, i + 1) << "event " << i << " carries seq " << seq;
    }
  }
};

}  // namespace

TEST_F(HotSwap, TwentySwapsUnderLoadLoseNothingAndUnloadEveryOldBuild) {
  auto current = build("counter", 0);
  ASSERT_TRUE(manager_.add(spec("counter", current)).ok());
  for (int n = 1; n <= 20; ++n) {
    const uint64_t before = buffer_.stats().last_sequence;
    ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > before + 50; }))
        << "the source stalled before swap " << n;
    const auto next = build("counter", n);
    const SwapReport r = manager_.hotSwap("count", next);
    ASSERT_TRUE(r.swapped) << "swap " << n << ": " << r.error;
    EXPECT_EQ(r.old_library, current.string());
    EXPECT_EQ(r.old_library_fate, "unloaded") << "swap " << n;
    EXPECT_FALSE(isMapped(current)) << current << " is still in /proc/self/maps";
    EXPECT_TRUE(isMapped(next));
    current = next;
  }
  const uint64_t before = buffer_.stats().last_sequence;
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > before + 50; }));
  ASSERT_TRUE(manager_.remove("count").ok());
  EXPECT_FALSE(isMapped(current));
  expectExactlyOnceInOrder();
  EXPECT_TRUE(manager_.retired().empty());
}

TEST_F(HotSwap, AnOldBuildThatIsNotUnloadSafeIsRetiredAndReported) {
  const auto v0 = build("counter_sticky", 0);
  ASSERT_TRUE(manager_.add(spec("counter_sticky", v0)).ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > 50; }));
  const SwapReport r = manager_.hotSwap("count", build("counter_sticky", 1));
  ASSERT_TRUE(r.swapped) << r.error;
  EXPECT_EQ(r.old_library_fate, "retired: plugin is not declared unload-safe");
  EXPECT_TRUE(isMapped(v0));
  const auto retired = manager_.retired();
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].path, v0.string());
  ASSERT_TRUE(manager_.remove("count").ok());
  expectExactlyOnceInOrder();
}

TEST_F(HotSwap, ABuildOfAnotherPluginIsRefusedAndTheOldOneKeepsRunning) {
  const auto v0 = build("counter", 0);
  ASSERT_TRUE(manager_.add(spec("counter", v0)).ok());
  std::filesystem::copy_file(test::fixtureDir() / "fails_start.so", dir_ / "impostor.so");
  const SwapReport r = manager_.hotSwap("count", dir_ / "impostor.so");
  EXPECT_FALSE(r.swapped);
  EXPECT_NE(r.error.find("holds plugin 'fails_start', but instance 'count' runs 'counter'"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(manager_.get("count")->state, "running");
  const uint64_t before = buffer_.stats().last_sequence;
  EXPECT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > before + 10; }));
}

TEST_F(HotSwap, OverwritingTheLoadedPathIsRefused) {
  const auto v0 = build("counter", 0);
  ASSERT_TRUE(manager_.add(spec("counter", v0)).ok());
  const SwapReport r = manager_.hotSwap("count", v0);
  EXPECT_FALSE(r.swapped);
  EXPECT_NE(r.error.find("install the new build at a new path"), std::string::npos) << r.error;
}

TEST_F(HotSwap, AFailedStartOfTheNewBuildRollsBackToTheOldOne) {
  const auto v0 = build("counter", 0);
  ASSERT_TRUE(manager_.add(spec("counter", v0)).ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > 50; }));
  // counter_broken is plugin "counter" with a regression: its start always fails.
  const SwapReport r = manager_.hotSwap("count", build("counter_broken", 1));
  EXPECT_FALSE(r.swapped);
  EXPECT_TRUE(r.rolled_back);
  EXPECT_NE(r.error.find("new build failed to start: start failed (FAILED): regression"),
            std::string::npos)
      << r.error;
  const auto report = manager_.get("count");
  EXPECT_EQ(report->state, "running");
  EXPECT_EQ(report->library, v0.string());
  EXPECT_FALSE(isMapped(dir_ / "counter_broken-v1.so"));
  const uint64_t before = buffer_.stats().last_sequence;
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > before + 50; }));
  ASSERT_TRUE(manager_.remove("count").ok());
  expectExactlyOnceInOrder();
}

}  // namespace storegate
