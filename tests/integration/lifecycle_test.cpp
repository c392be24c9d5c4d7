// Instances driven through the plugin host in-process: real plugin libraries, the memory
// buffer, real delivery workers and files.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "buffer/memory_buffer.hpp"
#include "plugin/manager.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

class Lifecycle : public ::testing::Test {
 protected:
  test::TempDir dir_;
  MemoryBuffer buffer_;
  Ingest ingest_{buffer_, "store-1"};
  PluginManager manager_{{test::pluginDir(), test::fixtureDir()},
                         HostServices{&ingest_, &buffer_, "store-1"},
                         buffer_,
                         /*trust=*/nullptr};

  // Sequences in a flaky_sink record ("<call>\t<sequence>\t<type>\t<data>" lines).
  static std::vector<uint64_t> recordedSequences(const std::filesystem::path& record) {
    std::vector<uint64_t> out;
    for (const auto& line : test::readLines(record)) {
      const auto a = line.find('\t');
      out.push_back(std::stoull(line.substr(a + 1, line.find('\t', a + 1) - a - 1)));
    }
    return out;
  }

  void appendTypes(std::initializer_list<const char*> types) {
    for (const char* t : types) {
      std::vector<Event> e(1);
      e[0].type = t;
      e[0].data = "{}";
      ASSERT_TRUE(buffer_.append(e).ok());
    }
  }

  static InstanceSpec spec(std::string name, std::string plugin, nlohmann::json config) {
    InstanceSpec s;
    s.name = std::move(name);
    s.plugin = std::move(plugin);
    s.config = std::move(config);
    s.path = "plugins[0]";
    s.delivery.max_batch_events = 50;
    s.delivery.initial_backoff = std::chrono::milliseconds(5);
    s.delivery.max_backoff = std::chrono::milliseconds(20);
    return s;
  }
};

}  // namespace

TEST_F(Lifecycle, SourceToSinkThroughTheBufferAndBack) {
  const auto out = dir_ / "events.jsonl";
  ASSERT_TRUE(manager_.add(spec("greeter", "hello", {{"interval", "10ms"}, {"count", 20}})).ok());
  ASSERT_TRUE(manager_.add(spec("out", "file_sink", {{"path", out.string()}})).ok());
  ASSERT_TRUE(test::waitUntil([&] { return test::readLines(out).size() == 20; }))
      << test::readLines(out).size() << " lines";
  const auto lines = test::readLines(out);
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["specversion"], "1.0");
    EXPECT_EQ(j["type"], "gateway.demo.hello");
    EXPECT_EQ(j["storeid"], "store-1");
    EXPECT_EQ(j["source"], "greeter");
    EXPECT_EQ(j["data"]["n"], i + 1);
  }
  const auto r = manager_.get("greeter");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "running");
  EXPECT_EQ(r->emitted, 20u);
  EXPECT_EQ(r->health, "ok");
}

TEST_F(Lifecycle, AReloadableChangeIsAppliedWithoutARestart) {
  ASSERT_TRUE(
      manager_.add(spec("greeter", "hello", {{"interval", "10ms"}, {"greeting", "hi"}})).ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence >= 3; }));
  ASSERT_TRUE(
      manager_.update(spec("greeter", "hello", {{"interval", "10ms"}, {"greeting", "welcome"}}))
          .ok());
  const uint64_t after = buffer_.stats().last_sequence;
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence >= after + 3; }));
  const auto events = buffer_.snapshot();
  EXPECT_NE(events.back().data.find("welcome"), std::string::npos);
  // Same instance kept running: its count went on instead of restarting.
  EXPECT_GT(manager_.get("greeter")->emitted, 5u);
}

TEST_F(Lifecycle, ANonReloadableChangeRestartsTheInstance) {
  ASSERT_TRUE(manager_.add(spec("greeter", "hello", {{"interval", "10ms"}})).ok());
  ASSERT_TRUE(test::waitUntil([&] { return manager_.get("greeter")->emitted >= 3; }));
  ASSERT_TRUE(
      manager_.update(spec("greeter", "hello", {{"interval", "10ms"}, {"count", 1000}})).ok());
  const auto r = manager_.get("greeter");
  EXPECT_EQ(r->state, "running");
  EXPECT_LT(r->emitted, 3u);  // a new instance counts its own emits
  EXPECT_EQ(r->config["count"], 1000);
}

TEST_F(Lifecycle, AnInvalidConfigIsRefusedBeforeAnythingRuns) {
  const Status s = manager_.add(spec("greeter", "hello", {{"interval", "soon"}, {"volume", 11}}));
  EXPECT_EQ(s.code, SG_ERR_INVALID);
  EXPECT_NE(s.message.find("plugins[0].config.interval: must be a duration"), std::string::npos)
      << s.message;
  EXPECT_NE(s.message.find("plugins[0].config.volume: unknown property"), std::string::npos)
      << s.message;
  EXPECT_FALSE(manager_.get("greeter"));
  EXPECT_EQ(buffer_.stats().last_sequence, 0u);
}

TEST_F(Lifecycle, ASinkThatFailsIsRetriedAndItsPoisonIsDeadLettered) {
  const auto record = dir_ / "record.txt";
  // Three events, the second one poison.
  for (const char* data : {R"({"x":1})", R"({"x":"poison"})", R"({"x":3})"}) {
    std::vector<Event> e(1);
    e[0].type = "t";
    e[0].data = data;
    ASSERT_TRUE(buffer_.append(e).ok());
  }
  ASSERT_TRUE(
      manager_.add(spec("sink", "flaky_sink", {{"fail_first", 3}, {"record", record.string()}}))
          .ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.cursor("sink") == 3; }));
  EXPECT_EQ(recordedSequences(record), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(buffer_.stats().dead_letters, 1u);
  const auto r = manager_.get("sink");
  EXPECT_EQ(r->delivered, 2u);
  EXPECT_EQ(r->dead_lettered, 1u);
}

TEST_F(Lifecycle, ASinkReceivesOnlyTheEventTypesItMatches) {
  const auto record = dir_ / "record.txt";
  appendTypes(
      {"store.pos.receipt", "store.sensor.reading", "store.pos.void", "store.footfall.count"});
  InstanceSpec s = spec("pos_only", "flaky_sink", {{"record", record.string()}});
  s.delivery.match = {"store.pos.*"};
  ASSERT_TRUE(manager_.add(s).ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.cursor("pos_only") == 4; }))
      << "skipped events must still move the cursor";
  EXPECT_EQ(recordedSequences(record), (std::vector<uint64_t>{1, 3}));
}

TEST_F(Lifecycle, ChangingASinksRoutingRestartsItsWorkerWithTheNewMatch) {
  const auto record = dir_ / "record.txt";
  InstanceSpec s = spec("sink", "flaky_sink", {{"record", record.string()}});
  s.delivery.match = {"store.pos.*"};
  s.delivery_json = {{"match", {"store.pos.*"}}};
  ASSERT_TRUE(manager_.add(s).ok());
  appendTypes({"store.pos.receipt", "store.sensor.reading"});
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.cursor("sink") == 2; }));
  s.delivery.match = {"store.sensor.*"};
  s.delivery_json = {{"match", {"store.sensor.*"}}};
  ASSERT_TRUE(manager_.update(s).ok());
  appendTypes({"store.pos.receipt", "store.sensor.reading"});
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.cursor("sink") == 4; }));
  EXPECT_EQ(recordedSequences(record), (std::vector<uint64_t>{1, 4}));
}

TEST_F(Lifecycle, LingerGathersEventsThatArriveCloseTogetherIntoOneBatch) {
  const auto record = dir_ / "record.txt";
  InstanceSpec s = spec("sink", "flaky_sink", {{"record", record.string()}});
  s.delivery.linger = std::chrono::milliseconds(400);
  ASSERT_TRUE(manager_.add(s).ok());
  appendTypes({"t"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  appendTypes({"t", "t", "t"});
  ASSERT_TRUE(test::waitUntil([&] { return test::readLines(record).size() == 4; }));
  std::set<std::string> calls;
  for (const auto& line : test::readLines(record)) calls.insert(line.substr(0, line.find('\t')));
  EXPECT_EQ(calls.size(), 1u) << "four events in 50 ms should travel as one batch";
}

TEST_F(Lifecycle, StopAllDrainsWhatSourcesEmittedLast) {
  const auto out = dir_ / "events.jsonl";
  ASSERT_TRUE(manager_.add(spec("out", "file_sink", {{"path", out.string()}})).ok());
  ASSERT_TRUE(manager_.add(spec("count", "counter", {{"pause_us", 0}})).ok());
  ASSERT_TRUE(test::waitUntil([&] { return buffer_.stats().last_sequence > 5000; }));
  manager_.stopAll(std::chrono::seconds(10));
  EXPECT_EQ(test::readLines(out).size(), buffer_.stats().last_sequence);
}

}  // namespace storegate
