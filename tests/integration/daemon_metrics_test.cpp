// The daemon in-process on the real RocksDB buffer: the metrics an operator reads.
#include <gtest/gtest.h>

#include <thread>

#include "daemon/daemon.hpp"
#include "support/test_support.hpp"

namespace storegate {

TEST(DaemonMetrics, ExposeBufferSinkLagAndRocksDbFiguresInPrometheusText) {
  test::TempDir dir;
  ConfigErrors errors;
  auto config = parseConfig(R"(
store_id: store-9
data_dir: data
plugins:
  - {name: greeter, plugin: hello, config: {interval: 10ms, count: 30}}
  - {name: out, plugin: file_sink, config: {path: out.jsonl}}
  - name: stuck
    plugin: flaky_sink
    config: {record: stuck.txt, fail_for: 1h}
    delivery: {backoff_initial: 10ms, backoff_max: 20ms}
)",
                            dir.path(), errors);
  ASSERT_TRUE(config) << errors.front().text();
  Daemon daemon(*config, {test::pluginDir(), test::fixtureDir()});
  ASSERT_TRUE(daemon.start().ok());
  // The counters move just after the append returns: wait for them too, not only the sink.
  ASSERT_TRUE(test::waitUntil([&] {
    const std::string t = daemon.metrics().render();
    return daemon.buffer().cursor("out") == 30 &&
           t.find("storegate_ingest_accepted_total 30") != std::string::npos &&
           t.find("storegate_plugin_emitted_total{instance=\"greeter\",plugin=\"hello\"} 30") !=
               std::string::npos;
  }));
  const std::string text = daemon.metrics().render();
  for (const char* line : {
           "storegate_buffer_events_in_total 30",
           "storegate_ingest_accepted_total 30",
           "storegate_plugin_emitted_total{instance=\"greeter\",plugin=\"hello\"} 30",
           "storegate_sink_delivered_total{instance=\"out\",plugin=\"file_sink\"} 30",
           "storegate_sink_lag_events{instance=\"out\",plugin=\"file_sink\"} 0",
           "storegate_sink_lag_events{instance=\"stuck\",plugin=\"flaky_sink\"} 30",
           "storegate_plugin_up{instance=\"stuck\",plugin=\"flaky_sink\"} 1",
           "# TYPE storegate_buffer_commit_seconds histogram",
           "storegate_rocksdb_block_cache_bytes",
           "storegate_plugin_metric{instance=\"out\",plugin=\"file_sink\",name=\"events_written\"} "
           "30",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // The stuck sink's oldest undelivered event is the first one: its age is positive.
  const auto at = text.find("storegate_sink_oldest_undelivered_seconds{instance=\"stuck\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stod(text.substr(text.find(' ', at) + 1)), 0.0);
  // Nothing is trimmed while a configured sink lags, however long maintenance runs.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(daemon.buffer().stats().first_sequence, 1u);
  daemon.stop();
}

}  // namespace storegate
