// The crash lab shared by the kill and the power-cut tests: the real daemon with crash_source
// (it records each sequence after emit returned, that is after the buffer promised it) and
// file_sink; after the crashes, a clean run drains the buffer and `verify` checks that every
// acknowledged event reached the sink, in order, with duplicates only from batches in flight.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace storegate::test {

class CrashLab : public ::testing::Test {
 protected:
  static constexpr int kSinkBatch = 50;
  static constexpr int kSinkFiles = 1000;  // file_sink's max_files: none is ever dropped

  TempDir dir_;
  std::filesystem::path config_ = dir_ / "storegate.yaml";

  // `top` adds top-level keys; `plugins` adds instances after the source and the sink.
  void writeConfig(const std::string& top = "", const std::string& plugins = "") {
    writeFile(config_,
              "store_id: crash-lab\n"
              "data_dir: data\n"
              "plugin_dirs: [\"" +
                  pluginDir().string() + "\", \"" + fixtureDir().string() +
                  "\"]\n"
                  "log: {file: daemon.log, console: false}\n"
                  "buffer: {durability: sync}\n" +
                  top +
                  "plugins:\n"
                  "  - name: source\n"
                  "    plugin: crash_source\n"
                  "    config: {record: emitted.txt, pause_us: 300, batch: 5}\n"
                  "  - name: out\n"
                  "    plugin: file_sink\n"
                  "    delivery: {max_events: " +
                  std::to_string(kSinkBatch) +
                  "}\n"
                  "    config: {path: out.jsonl, max_file_size: 4MiB, max_files: " +
                  std::to_string(kSinkFiles) + "}\n" + plugins);
  }

  std::unique_ptr<Process> start(const std::vector<std::string>& env = {}) {
    return std::make_unique<Process>(storegatedPath(),
                                     std::vector<std::string>{"--config", config_.string()},
                                     dir_ / "stderr.log", env);
  }

  std::vector<uint64_t> recorded() {
    std::vector<uint64_t> out;
    for (const auto& l : readLines(dir_ / "emitted.txt")) {
      if (!l.empty()) out.push_back(std::stoull(l));
    }
    return out;
  }

  // Every "seq":N the sink wrote, in delivery order: the rotated files oldest first, then
  // out.jsonl (a long run passes file_sink's max_file_size). A line torn by the kill still
  // shows its number or loses it; either way the event is redelivered after restart.
  std::vector<uint64_t> delivered() {
    std::vector<std::filesystem::path> files;
    for (int i = kSinkFiles; i >= 1; --i)
      files.push_back(dir_ / ("out.jsonl." + std::to_string(i)));
    files.push_back(dir_ / "out.jsonl");
    static constexpr std::string_view kKey = "\"seq\":";
    std::vector<uint64_t> out;
    for (const auto& file : files) {
      if (!std::filesystem::exists(file)) continue;
      const std::string text = readFile(file);
      for (size_t at = text.find(kKey); at != std::string::npos; at = text.find(kKey, at)) {
        at += kKey.size();
        const size_t digits = at;
        uint64_t n = 0;
        for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at)
          n = n * 10 + uint64_t(text[at] - '0');
        if (at > digits) out.push_back(n);
      }
    }
    return out;
  }

  // Runs the daemon without failpoints until the sink holds everything recorded.
  void drainAndStop() {
    // SIGTERM only once it runs (before its handlers are set, a signal simply ends it).
    const auto notify = dir_ / "drain.notify";
    std::filesystem::remove(notify);
    NotifySocket systemd(notify);
    auto d = start({"NOTIFY_SOCKET=" + notify.string()});
    ASSERT_TRUE(systemd.receiveUntil("READY=1", std::chrono::seconds(30))) << d->output();
    const auto want = recorded();
    const std::set<uint64_t> wanted(want.begin(), want.end());
    ASSERT_TRUE(waitUntil(
        [&] {
          const auto got = delivered();
          const std::set<uint64_t> have(got.begin(), got.end());
          return std::includes(have.begin(), have.end(), wanted.begin(), wanted.end());
        },
        std::chrono::seconds(60)))
        << "the sink never received everything that was acknowledged\n"
        << d->output();
    d->signal(SIGTERM);
    ASSERT_EQ(d->wait(), 0) << d->output();
  }

  // `resent`: deliveries repeated on purpose besides those a restart may repeat.
  void verify(int restarts, size_t resent = 0) {
    const auto want = recorded();
    const auto got = delivered();
    ASSERT_FALSE(want.empty());
    std::set<uint64_t> seen;
    uint64_t last_first_seen = 0;
    size_t duplicates = 0;
    for (uint64_t s : got) {
      if (!seen.insert(s).second) {
        ++duplicates;
        continue;
      }
      ASSERT_GT(s, last_first_seen) << "sequence " << s << " delivered out of order";
      last_first_seen = s;
    }
    for (uint64_t s : want) ASSERT_TRUE(seen.count(s)) << "acknowledged event " << s << " was lost";
    std::cout << "[ crash    ] " << want.size() << " acknowledged events, " << got.size()
              << " deliveries, " << duplicates << " duplicates over " << restarts << " starts\n";
    // At-least-once: a restart may repeat the batch that was in flight, nothing more.
    EXPECT_LE(duplicates, size_t(restarts) * kSinkBatch + resent) << duplicates << " duplicates";
  }
};

// A count from the environment (for the long runs by hand), else `fallback`.
inline int countFromEnv(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::max(1, std::atoi(v)) : fallback;
}

}  // namespace storegate::test
