// The real storegated binary as a process: flags, config errors, signals.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace storegate {
namespace {

class Daemon : public ::testing::Test {
 protected:
  test::TempDir dir_;

  std::filesystem::path writeConfig(const std::string& greeting, const std::string& extra = "") {
    const auto path = dir_ / "storegate.yaml";
    test::writeFile(path,
                    "store_id: store-0042\n"
                    "data_dir: data\n"
                    "plugin_dirs: [\"" +
                        test::pluginDir().string() +
                        "\"]\n"
                        "log: {level: debug, file: daemon.log}\n"
                        "plugins:\n"
                        "  - name: greeter\n"
                        "    plugin: hello\n"
                        "    config: {interval: 20ms, greeting: \"" +
                        greeting +
                        "\"}\n"
                        "  - name: out\n"
                        "    plugin: file_sink\n"
                        "    config: {path: events.jsonl}\n" +
                        extra);
    return path;
  }

  std::string eventsText() { return test::readFile(dir_ / "events.jsonl"); }

  // The test-only plugins too (crashing, leaking), after the bundled ones.
  static void addFixtureDir(const std::filesystem::path& config) {
    std::string text = test::readFile(config);
    const std::string dirs = "plugin_dirs: [\"" + test::pluginDir().string() + "\"";
    text.replace(text.find(dirs), dirs.size(), dirs + ", \"" + test::fixtureDir().string() + "\"");
    test::writeFile(config, text);
  }
};

}  // namespace

TEST_F(Daemon, VersionNamesTheAbiRange) {
  const auto [code, out] = test::runProgram(test::storegatedPath(), {"--version"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("storegated "), std::string::npos);
  EXPECT_NE(out.find("plugin ABI 1.0..1.2"), std::string::npos) << out;
}

TEST_F(Daemon, UnknownFlagIsAUsageError) {
  const auto [code, out] = test::runProgram(test::storegatedPath(), {"--frobnicate"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("unknown argument '--frobnicate'"), std::string::npos) << out;
}

TEST_F(Daemon, CheckConfigAcceptsAValidConfig) {
  const auto config = writeConfig("hi");
  const auto [code, out] =
      test::runProgram(test::storegatedPath(), {"--check-config", "--config", config.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("valid"), std::string::npos);
}

TEST_F(Daemon, CheckConfigListsEveryErrorByPathAndExitsTwo) {
  const auto config = dir_ / "bad.yaml";
  test::writeFile(config,
                  "store_id: s\n"
                  "data_dir: d\n"
                  "plugin_dirs: [\"" +
                      test::pluginDir().string() +
                      "\"]\n"
                      "plugins:\n"
                      "  - {name: a, plugin: hello, config: {interval: 2 weeks, colour: red}}\n"
                      "  - {name: b, plugin: file_sink, config: {max_files: 5000}}\n"
                      "  - {name: c, plugin: teleporter}\n");
  const auto [code, out] =
      test::runProgram(test::storegatedPath(), {"--check-config", "--config", config.string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("5 errors"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins[0].config.interval: must be a duration"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins[0].config.colour: unknown property"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins[1].config.max_files: 5000 is not in 0..1000"), std::string::npos)
      << out;
  EXPECT_NE(out.find("plugins[1].config.path: is required"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins[2].plugin: no plugin 'teleporter'"), std::string::npos) << out;
}

TEST_F(Daemon, ABadConfigNeverStartsTheDaemon) {
  const auto config = dir_ / "bad.yaml";
  test::writeFile(config, "store_id: s\ndata_dir: d\nplugins: 7\n");
  const auto [code, out] = test::runProgram(test::storegatedPath(), {"--config", config.string()});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("plugins: must be a list"), std::string::npos) << out;
  EXPECT_NE(out.find("not started"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d"));
}

TEST_F(Daemon, RunsReloadsOnSighupRefusesABadReloadAndStopsCleanly) {
  const auto config = writeConfig("hello");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "stderr.log");
  ASSERT_TRUE(test::waitUntil([&] {
    return eventsText().find("\"greeting\":\"hello\"") != std::string::npos;
  })) << daemon.output();

  // A reloadable change is applied in place.
  writeConfig("welcome");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return eventsText().find("\"greeting\":\"welcome\"") != std::string::npos;
  })) << daemon.output();

  // A broken file is refused as a whole; the daemon runs on with what it had.
  test::writeFile(config,
                  "store_id: store-0042\nplugins: [{plugin: hello, config: {interval: never}}]\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return daemon.output().find("reload refused") != std::string::npos;
  })) << daemon.output();
  EXPECT_TRUE(daemon.running());

  // A new instance appears by reload.
  writeConfig(
      "welcome",
      "  - name: second\n    plugin: hello\n    config: {interval: 20ms, greeting: \"second\"}\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return eventsText().find("\"source\":\"second\"") != std::string::npos;
  })) << daemon.output();

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << daemon.output();
  const std::string log = test::readFile(dir_ / "daemon.log");
  EXPECT_NE(log.find("msg=\"stopped cleanly\""), std::string::npos) << log;
  EXPECT_NE(log.find("msg=\"config reloaded\" added=1 removed=0 changed=0"), std::string::npos)
      << log;
}

TEST_F(Daemon, ChangingAnInstancesLibraryOnReloadHotSwapsIt) {
  std::filesystem::copy_file(test::fixtureDir() / "counter.so", dir_ / "counter-1.so");
  std::filesystem::copy_file(test::fixtureDir() / "counter.so", dir_ / "counter-2.so");
  const auto config = dir_ / "storegate.yaml";
  const auto write = [&](const std::string& library) {
    test::writeFile(config,
                    "store_id: s\ndata_dir: data\nlog: {file: daemon.log}\n"
                    "plugins:\n"
                    "  - {name: count, plugin: counter, library: " +
                        library + ", config: {pause_us: 1000}}\n");
  };
  write("counter-1.so");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "stderr.log");
  const auto log = [&] { return test::readFile(dir_ / "daemon.log"); };
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("msg=\"instance running\"") != std::string::npos;
  })) << daemon.output();
  write("counter-2.so");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("msg=\"hot swap done\"") != std::string::npos;
  })) << log();
  EXPECT_NE(log().find("to=" + (dir_ / "counter-2.so").string() + " old_library=unloaded"),
            std::string::npos)
      << log();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

TEST_F(Daemon, ABrokenBufferDatabaseStopsTheStartWithWhatToDo) {
  const auto config = writeConfig("hi");
  {
    test::Process first(test::storegatedPath(), {"--config", config.string()}, dir_ / "first.log");
    ASSERT_TRUE(test::waitUntil(
        [&] { return std::filesystem::exists(dir_ / "data" / "buffer" / "CURRENT"); }));
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
  }
  test::writeFile(dir_ / "data" / "buffer" / "CURRENT", "MANIFEST-999999\n");
  const auto [code, out] = test::runProgram(test::storegatedPath(), {"--config", config.string()});
  EXPECT_EQ(code, 1);
  const std::string log = test::readFile(dir_ / "daemon.log");
  EXPECT_NE(log.find("cannot start"), std::string::npos) << log;
  EXPECT_NE(log.find("move it aside"), std::string::npos) << log;
  EXPECT_EQ(test::readFile(dir_ / "data" / "buffer" / "CURRENT"), "MANIFEST-999999\n")
      << "left untouched";
}

TEST_F(Daemon, TheDemoConfigRunsEndToEndAndASecondRunAddsNoDuplicateReceipts) {
  // A copy of config/ keeps the demo's relative layout without touching the source tree.
  std::filesystem::copy(test::sourceDir() / "config", dir_ / "config",
                        std::filesystem::copy_options::recursive);
  const auto config = dir_ / "config" / "demo.yaml";
  const auto events = dir_ / "build" / "demo" / "var" / "events.jsonl";
  const auto receipts = [&] {
    size_t n = 0;
    for (const auto& line : test::readLines(events))
      n += line.find("store.pos.receipt") != std::string::npos;
    return n;
  };
  const auto greetings = [&] {
    size_t n = 0;
    for (const auto& line : test::readLines(events))
      n += line.find("gateway.demo.hello") != std::string::npos;
    return n;
  };
  for (int run = 0; run < 2; ++run) {
    const size_t greeted = greetings();
    test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "demo.log");
    // This run is up and delivering once a greeting of its own arrives.
    ASSERT_TRUE(test::waitUntil([&] { return receipts() >= 5 && greetings() > greeted; }))
        << daemon.output();
    daemon.signal(SIGTERM);
    ASSERT_EQ(daemon.wait(), 0) << daemon.output();
  }
  EXPECT_EQ(receipts(), 5u) << "the second run must not re-read the kept sample files";
  EXPECT_NE(test::readFile(dir_ / "build" / "demo" / "var" / "pos-quarantine" /
                           "till3-2026-11-23.csv.rejected.reason")
                .find("receipt 000103: line 5: quantity, unit_price and discount must be numbers"),
            std::string::npos);
  EXPECT_TRUE(
      std::filesystem::exists(dir_ / "config" / "samples" / "pos" / "till3-2026-11-23.csv"));
}

TEST_F(Daemon, AllThreePosAdaptersFeedOneDaemonEndToEnd) {
  std::filesystem::create_directories(dir_ / "drop");
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", (dir_ / "pos.sqlite").string());
    db << "CREATE TABLE sales (id INTEGER PRIMARY KEY, receipt_no TEXT, till TEXT, time TEXT, sku "
          "TEXT, "
          "quantity REAL, unit_price REAL, total REAL, payment TEXT)",
        Poco::Data::Keywords::now;
    db << "INSERT INTO sales VALUES (1, 'S1', '9', '2026-11-23T16:00:00Z', 'A', 1, 3.0, 3.0, "
          "'cash')",
        Poco::Data::Keywords::now;
  }
  const int port = test::freeLoopbackPort();
  const auto config = dir_ / "storegate.yaml";
  test::writeFile(
      config,
      "store_id: store-0042\ndata_dir: data\nlog: {file: daemon.log}\n"
      "plugin_dirs: [\"" +
          test::pluginDir().string() +
          "\"]\n"
          "plugins:\n"
          "  - {name: push, plugin: pos_webhook, config: {listen: \"127.0.0.1:" +
          std::to_string(port) +
          "\", secret: \"0123456789abcdef\", quarantine_dir: q}}\n"
          "  - {name: db, plugin: pos_sql, config: {connection: pos.sqlite, table: sales, "
          "poll_interval: 50ms, quarantine_dir: q}}\n"
          "  - {name: files, plugin: pos_file, config: {dir: drop, poll_interval: 50ms, "
          "settle_time: 0s}}\n"
          "  - {name: out, plugin: file_sink, match: [\"store.pos.*\"], config: {path: "
          "receipts.jsonl}}\n");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "stderr.log");
  ASSERT_TRUE(test::waitUntil([&] {
    return test::readFile(dir_ / "daemon.log").find("accepting receipts on http://127.0.0.1:") !=
           std::string::npos;
  })) << daemon.output();
  test::writeFile(dir_ / "drop" / "f.csv",
                  "receipt_no,till,time,sku,quantity,unit_price,total\nF1,8,2026-11-23T16:01:00Z,B,"
                  "2,1.5,3.0\n");
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Post(
      "/v1/receipts", {{"Authorization", "Bearer 0123456789abcdef"}},
      R"({"receipt_no":"W1","till":"7","time":"2026-11-23T16:02:00Z","items":[{"sku":"C","quantity":1,"unit_price":5}],"total":5})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  const auto out = dir_ / "receipts.jsonl";
  ASSERT_TRUE(test::waitUntil([&] { return test::readLines(out).size() == 3; }))
      << test::readFile(out);
  const std::string all = test::readFile(out);
  for (const char* key :
       {"\"dedupkey\":\"9/S1\"", "\"dedupkey\":\"8/F1\"", "\"dedupkey\":\"7/W1\""}) {
    EXPECT_NE(all.find(key), std::string::npos) << key << "\n" << all;
  }
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << daemon.output();
}

TEST_F(Daemon, ListPluginsShowsWhatIsInstalled) {
  const auto config = writeConfig("hi");
  const auto [code, out] =
      test::runProgram(test::storegatedPath(), {"--list-plugins", "--config", config.string()});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("hello\t1.0.0\tsource\tABI 1.2"), std::string::npos) << out;
  EXPECT_NE(out.find("file_sink\t1.0.0\tsink\tABI 1.2"), std::string::npos) << out;
}

// The committed plugin schemas (config/schemas/plugins) are what the plugins declare.
TEST_F(Daemon, PublishedPluginSchemasMatchTheBuiltPlugins) {
  const auto dir = test::sourceDir() / "config" / "schemas" / "plugins";
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().stem().string();
    if (!std::filesystem::exists(test::pluginDir() / (name + ".so"))) continue;  // switched off
    const auto [code, out] = test::runProgram(
        test::storegatedPath(), {"--plugin-schema", name, "--config", writeConfig("hi").string()});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(test::readFile(entry.path())))
        << name << ": regenerate with storegated --plugin-schema " << name;
    ++checked;
  }
  EXPECT_GE(checked, 8u);
  const auto [code, out] = test::runProgram(test::storegatedPath(), {"--plugin-schema", "nope"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no plugin 'nope'"), std::string::npos) << out;
}

}  // namespace storegate

namespace storegate {

// systemd's notify protocol, with the test as systemd: READY once running, a WATCHDOG ping
// at half the interval, STOPPING on SIGTERM.
TEST_F(Daemon, TellsSystemdItIsReadyPingsTheWatchdogAndSaysWhenItStops) {
  using namespace std::chrono_literals;
  const auto socket_path = dir_ / "notify";
  test::NotifySocket systemd(socket_path);
  const auto config = writeConfig("hi", "admin: {enabled: false}\n");
  test::Process d(test::storegatedPath(), {"--config", config.string()}, dir_ / "out.log",
                  {"NOTIFY_SOCKET=" + socket_path.string(), "WATCHDOG_USEC=400000"});
  ASSERT_TRUE(systemd.receiveUntil("READY=1", 15s)) << d.output();
  const auto ready_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(systemd.receiveUntil("WATCHDOG=1", 2s));
  ASSERT_TRUE(systemd.receiveUntil("WATCHDOG=1", 2s));
  // Two pings at about 200 ms apart (half of 400 ms), not one a minute.
  EXPECT_LT(std::chrono::steady_clock::now() - ready_at, 1500ms);
  d.signal(SIGTERM);
  EXPECT_TRUE(systemd.receiveUntil("STOPPING=1", 10s));
  EXPECT_EQ(d.wait(), 0);
}

}  // namespace storegate

namespace storegate {

TEST_F(Daemon, CheckConfigListsThePluginsErrorsEvenWhenTheTopLevelHasSome) {
  const auto config = dir_ / "bad.yaml";
  test::writeFile(config,
                  "data_dir: d\n"  // no store_id
                  "plugin_dirs: [\"" +
                      test::pluginDir().string() +
                      "\"]\n"
                      "plugins:\n"
                      "  - {name: b, plugin: file_sink, config: {max_files: 5000}}\n");
  const auto [code, out] =
      test::runProgram(test::storegatedPath(), {"--check-config", "--config", config.string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("store_id"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins[0].config.max_files: 5000 is not in 0..1000"), std::string::npos)
      << "one run shows every error: " << out;
}

}  // namespace storegate

namespace storegate {

TEST_F(Daemon, APluginThatKeepsCrashingTheDaemonIsLeftBrokenAndTheRestRuns) {
  const auto config = writeConfig("still here",
                                  "  - name: boom\n"
                                  "    plugin: crashes_later\n"
                                  "    config: {after: 300ms}\n"
                                  "admin: {listen: \"127.0.0.1:" +
                                      std::to_string(test::freeLoopbackPort()) + "\"}\n");
  addFixtureDir(config);
  // Three deaths in its code, each journaled with its name (no log line could be written).
  for (int i = 0; i < 3; ++i) {
    test::Process daemon(test::storegatedPath(), {"--config", config.string()},
                         dir_ / ("crash" + std::to_string(i) + ".log"));
    EXPECT_EQ(daemon.wait(std::chrono::seconds(20)), -SIGSEGV) << daemon.output();
  }
  const std::string journal = test::readFile(dir_ / "data" / "control" / "crashes");
  size_t blamed = 0;
  for (size_t at = journal.find(" SIGSEGV boom\n"); at != std::string::npos;
       at = journal.find(" SIGSEGV boom\n", at + 1))
    ++blamed;
  EXPECT_EQ(blamed, 3u) << journal;

  // The fourth start leaves it broken, says so, and runs the rest of the store.
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "fourth.log");
  const size_t before = eventsText().size();
  ASSERT_TRUE(test::waitUntil([&] { return eventsText().size() > before + 200; }))
      << daemon.output();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_TRUE(daemon.running()) << daemon.output();
  const std::string log = test::readFile(dir_ / "daemon.log");
  EXPECT_NE(log.find("instance left broken"), std::string::npos) << log;
  EXPECT_NE(test::readFile(dir_ / "data" / "control" / "crashes").find(" broken boom\n"),
            std::string::npos);
  // A SIGSEGV sent from outside ends the daemon as before (nothing faults again to do it),
  // journaled as no plugin's doing.
  daemon.signal(SIGSEGV);
  EXPECT_EQ(daemon.wait(std::chrono::seconds(10)), -SIGSEGV);
  EXPECT_NE(test::readFile(dir_ / "data" / "control" / "crashes").find(" SIGSEGV -\n"),
            std::string::npos);
}

}  // namespace storegate

namespace storegate {

// A journal long enough to be compacted at start is replaced by a shorter file; the signal
// handler must write to that file, not to the one the compaction unlinked.
TEST_F(Daemon, ACrashIsJournaledAfterTheJournalWasCompactedAtStart) {
  const auto config = writeConfig("still here",
                                  "  - name: boom\n"
                                  "    plugin: crashes_later\n"
                                  "    config: {after: 300ms}\n");
  addFixtureDir(config);
  const auto journal = dir_ / "data" / "control" / "crashes";
  std::filesystem::create_directories(journal.parent_path());
  std::string old;
  while (old.size() < 300 * 1024) old += "1 clear nobody\n";  // long past the window
  test::writeFile(journal, old);
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "crash.log");
  EXPECT_EQ(daemon.wait(std::chrono::seconds(20)), -SIGSEGV) << daemon.output();
  const std::string after = test::readFile(journal);
  EXPECT_LT(after.size(), old.size()) << "compacted";
  EXPECT_NE(after.find(" SIGSEGV boom\n"), std::string::npos) << "the death was not journaled";
}

TEST_F(Daemon, MemoryPastItsBudgetIsWarnedOnceNamingTheBusiestInstance) {
  const auto config = writeConfig("hi",
                                  "  - name: leaky\n"
                                  "    plugin: leaks\n"
                                  "memory_budget: 48MiB\n"
                                  "admin: {listen: \"127.0.0.1:" +
                                      std::to_string(test::freeLoopbackPort()) + "\"}\n");
  addFixtureDir(config);
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir_ / "out.log");
  const auto warned = [&] {
    return test::readFile(dir_ / "daemon.log").find("memory above its budget") != std::string::npos;
  };
  ASSERT_TRUE(test::waitUntil(warned, std::chrono::seconds(30))) << daemon.output();
  const std::string log = test::readFile(dir_ / "daemon.log");
  std::string line = log.substr(log.find("memory above its budget"));
  line = line.substr(0, line.find('\n'));
  // leaky emits 100 events a second, the greeter 50: leaky comes first.
  const size_t field = line.find("busiest_since_last_check=");
  ASSERT_NE(field, std::string::npos) << line;
  const size_t leaky = line.find("leaky(", field), greeter = line.find("greeter(", field);
  EXPECT_NE(leaky, std::string::npos) << line;
  EXPECT_TRUE(greeter == std::string::npos || leaky < greeter) << line;
  // Once per episode, not once per tick.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  const std::string later = test::readFile(dir_ / "daemon.log");
  EXPECT_EQ(later.find("memory above its budget", later.find("memory above its budget") + 1),
            std::string::npos);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

}  // namespace storegate
