// storegate-bench: measures, in one run, the ceiling (raw RocksDB WriteBatches of the same
// value size, batch size and durability) and the gateway's ingest → buffer → null-sink
// path, and prints events/s, MB/s, emit latency p50/p99, RSS and the ratio to the ceiling.
// Each figure is the median of --repeats runs. Exits non-zero if any event is lost.
#include <malloc.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "accuracy/footfall_accuracy.hpp"
#include "buffer/rocksdb_buffer.hpp"
#include "common/log.hpp"
#include "common/status.hpp"
#include "event/codec.hpp"
#include "footfall_bench.hpp"
#include "member_code_bench.hpp"
#include "plugin/manager.hpp"
#include "pos_bench.hpp"
#include "sensor_bench.hpp"
#include "uplink_bench.hpp"

namespace storegate::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  bool quick = false;
  int repeats = 3;
  uint64_t drain_events = 1'000'000;
  uint64_t tombstone_events = 2'000'000;
  std::filesystem::path dir;
};

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

uint64_t rssBytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::strlen(field))) * 1024;
  }
  return 0;
}

// Samples VmRSS every 20 ms while alive; max() is the highest seen.
class RssSampler {
 public:
  RssSampler()
      : thread_([this] {
          while (!stop_) {
            max_ = std::max<uint64_t>(max_, rssBytes("VmRSS:"));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~RssSampler() { finish(); }
  uint64_t finish() {
    if (!stop_.exchange(true)) thread_.join();
    return max_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_{0};
  std::thread thread_;
};

std::filesystem::path freshDir(const Args& a, const std::string& name) {
  static int n = 0;
  auto d = a.dir / (name + "-" + std::to_string(n++));
  std::filesystem::remove_all(d);
  return d;
}

// A 300-byte JSON event, the size the targets are stated for.
Event sampleEvent() {
  Event e;
  e.type = "store.sensor.reading";
  e.source = "bench";
  e.datacontenttype = "application/json";
  e.data =
      "{\"sensor\":\"shelf-07\",\"kind\":\"weight\",\"unit\":\"g\",\"value\":1234.5,\"pad\":\"";
  e.data += std::string(300 - e.data.size() - 2, 'x') + "\"}";
  return e;
}

// The event as the buffer stores it, host-filled attributes included.
Event stored(Event e) {
  e.id = "0123456789abcdef-123456";
  e.storeid = "store-0042";
  e.time_unix_ns = 1;
  return e;
}

// ---- The ceiling: raw RocksDB, same value size, batch size and durability ---------------

double rawCeiling(const Args& a, size_t batch, uint64_t total, bool sync) {
  const auto dir = freshDir(a, "raw");
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 4 << 20;
  o.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(8 << 20);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) return 0;
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string value = encodeEvent(stored(sampleEvent()));  // the bytes the buffer stores
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  uint64_t key = 0;
  const auto start = Clock::now();
  while (key < total) {
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < batch; ++i) wb.Put(sequenceKey(++key), value);
    db->Write(wo, &wb).PermitUncheckedError();  // a failed write only lowers the ceiling shown
  }
  const double rate = double(key) / seconds(Clock::now() - start);
  db.reset();
  std::filesystem::remove_all(dir);
  return rate;
}

// ---- The gateway path ----------------------------------------------------------------------

struct GatewayResult {
  double ingest_eps = 0;      // events/s acknowledged to producers
  double end_to_end_eps = 0;  // events/s until the null sink had everything
  double p50_ms = 0, p99_ms = 0;
  double avg_group = 0;  // events per group commit
  double write_amp = 0;  // bytes RocksDB wrote (WAL + flush + compaction) per byte stored
  uint64_t peak_rss = 0;
  bool complete = false;
};

struct Gateway {
  std::unique_ptr<RocksBuffer> buffer;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<PluginManager> plugins;

  Gateway(const std::filesystem::path& dir, Durability durability, bool with_sink) {
    BufferOptions o;
    o.durability = durability;
    o.quota_bytes = 0;
    o.disk_min_free_bytes = 0;
    o.disk_resume_free_bytes = 0;
    o.store_id = "store-0042";
    std::string error;
    buffer = RocksBuffer::open(dir, o, error);
    if (!buffer) throw std::runtime_error(error);
    ingest = std::make_unique<Ingest>(*buffer, "store-0042");
    plugins = std::make_unique<PluginManager>(
        std::vector<std::filesystem::path>{STOREGATE_BENCH_PLUGIN_DIR},
        HostServices{ingest.get(), buffer.get(), "store-0042"}, *buffer,
        /*trust=*/nullptr);
    if (with_sink) addSink();
  }
  void addSink() {
    InstanceSpec s;
    s.name = "null";
    s.plugin = "null_sink";
    s.path = "plugins[0]";
    s.delivery.max_batch_events = 1000;
    s.delivery.max_batch_bytes = 4 << 20;
    if (!plugins->add(s).ok()) throw std::runtime_error("cannot start null_sink");
  }
  ~Gateway() {
    plugins.reset();
    ingest.reset();
    buffer.reset();
  }
};

GatewayResult gatewayRun(const Args& a, int producers, size_t batch, uint64_t per_producer) {
  const auto dir = freshDir(a, "gw");
  GatewayResult r;
  {
    Gateway g(dir, Durability::Sync, true);
    const Event proto = sampleEvent();
    std::vector<std::vector<double>> latencies(static_cast<size_t>(producers));
    RssSampler rss;
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        std::vector<sg_event> views(batch, proto.view());
        auto& lat = latencies[static_cast<size_t>(p)];
        lat.reserve(per_producer / batch + 1);
        for (uint64_t done = 0; done < per_producer; done += batch) {
          const auto t0 = Clock::now();
          if (!g.ingest->emit("bench", views).ok()) return;
          lat.push_back(seconds(Clock::now() - t0) * 1000);
        }
      });
    }
    for (auto& t : threads) t.join();
    const auto ingested = Clock::now();
    const uint64_t total = uint64_t(producers) * ((per_producer + batch - 1) / batch) * batch;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (g.buffer->cursor("null") < total && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const auto drained = Clock::now();
    r.peak_rss = rss.finish();
    r.complete = g.buffer->cursor("null") == total && g.buffer->stats().events_in == total;
    r.ingest_eps = double(total) / seconds(ingested - start);
    r.end_to_end_eps = double(total) / seconds(drained - start);
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    if (!all.empty()) {
      r.p50_ms = all[all.size() / 2];
      r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    const uint64_t commits = g.buffer->commitLatency().count();
    r.write_amp = double(g.buffer->writeAmplificationBytes()) /
                  (double(total) * double(encodeEvent(stored(proto)).size() + 8));
    r.avg_group = commits == 0 ? 0 : double(total) / double(commits);
  }
  std::filesystem::remove_all(dir);
  return r;
}

// ---- Drain: RSS while a backlog drains, and read speed after many events passed through ----

struct DrainResult {
  double drain_eps = 0;
  double write_amp = 0;
  uint64_t peak_rss = 0;
  bool complete = false;
};

void fill(Gateway& g, uint64_t events) {
  const Event proto = sampleEvent();
  std::vector<sg_event> views(1000, proto.view());
  for (uint64_t done = 0; done < events; done += views.size())
    ignoreResult(g.ingest->emit("bench", views),
                 "the sink counts what arrived; a refusal shows as a lower rate");
}

DrainResult drainRun(const Args& a, uint64_t events) {
  const auto dir = freshDir(a, "drain");
  DrainResult r;
  {
    Gateway g(dir, Durability::None, false);
    fill(g, events);  // the backlog of an outage
    RssSampler rss;
    const auto start = Clock::now();
    g.addSink();
    const uint64_t total = g.buffer->stats().last_sequence;
    while (g.buffer->cursor("null") < total)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    r.drain_eps = double(total) / seconds(Clock::now() - start);
    r.peak_rss = rss.finish();
    r.complete = total >= events;
    r.write_amp = double(g.buffer->writeAmplificationBytes()) /
                  (double(total) * double(encodeEvent(stored(sampleEvent())).size() + 8));
  }
  std::filesystem::remove_all(dir);
  return r;
}

// Events/s reading 200k fresh events, after `passed` events went through and were trimmed.
double readSpeedAfter(const Args& a, uint64_t passed) {
  const auto dir = freshDir(a, "tomb");
  double rate = 0;
  {
    Gateway g(dir, Durability::None, true);
    for (uint64_t done = 0; done < passed; done += 100'000) {
      fill(g, 100'000);
      const uint64_t last = g.buffer->stats().last_sequence;
      while (g.buffer->cursor("null") < last)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    g.buffer->maintain();
    ignoreResult(g.plugins->remove("null"), "the gateway is torn down next anyway");
    const uint64_t from = g.buffer->stats().last_sequence;
    fill(g, 200'000);
    const auto start = Clock::now();
    uint64_t cursor = from, read = 0;
    for (;;) {
      auto batch = g.buffer->readAfter(cursor, 1000, 4 << 20);
      if (batch.empty()) break;
      cursor = batch.back().sequence;
      read += batch.size();
    }
    rate = double(read) / seconds(Clock::now() - start);
  }
  std::filesystem::remove_all(dir);
  return rate;
}

std::string machine() {
  std::ifstream cpu("/proc/cpuinfo");
  std::string line, model = "unknown";
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " threads";
}

std::string fmt(double v, int digits = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

// Crossing accuracy against the hand labels, for the settings around the chosen ones
// (person_aspect 3, line_margin 10): how sensitive the result is to them.
void footfallAccuracyTable(const std::filesystem::path& video) {
  const auto dir = accuracy::labelsDir();
  const auto labels = accuracy::readLabels(dir / "vtest_crossings.csv");
  std::cout << "\n| vtest.avi against the hand labels: person_aspect | line_margin px | line | "
               "precision | recall | F1 | count error |\n|---|---|---|---|---|---|---|\n";
  for (double aspect : {0.0, 2.5, 3.0, 3.5})
    for (double margin : {0.0, 10.0}) {
      plugins::footfall::Settings s;
      s.person_aspect = aspect;
      s.line_margin = margin;
      s.lines = accuracy::readLines(dir / "vtest_lines.json");
      const auto e = accuracy::evaluate(video, 640, s, labels, 10);
      if (!e.ran) return;
      for (const auto& [name, l] : e.lines)
        std::cout << "| " << fmt(aspect, 1) << " | " << fmt(margin, 0) << " | " << name << " | "
                  << fmt(l.precision(), 2) << " | " << fmt(l.recall(), 2) << " | " << fmt(l.f1(), 2)
                  << " | " << fmt(100 * l.countError(), 1) << " % |\n";
    }
}

// Prints camera_footfall's rows on OpenCV's sample pedestrian video (opencv-doc).
void footfallTable(const Args& a) {
  const std::filesystem::path video = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  std::vector<double> bg, hog, convert;
  for (int i = 0; i < a.repeats; ++i) {
    const FootfallResult r = footfallRun(video, a.quick ? 60 : 400);
    if (!r.ran) return;
    bg.push_back(r.fps_background);
    hog.push_back(r.fps_hog);
    convert.push_back(r.fps_convert_only);
  }
  std::cout << "\n| camera_footfall pipeline, vtest.avi at 640×480, one core | frames/s | ratio to "
               "BGR→gray alone |\n|---|---|---|\n"
            << "| background subtraction + tracker + lines | " << fmt(median(bg)) << " | "
            << fmt(median(bg) / median(convert), 3) << " |\n"
            << "| HOG people detector + tracker + lines | " << fmt(median(hog), 1) << " | "
            << fmt(median(hog) / median(convert), 4) << " |\n";

  const FootfallDaemonResult d = footfallDaemonRun(video, a.dir / "footfall", a.quick ? 2 : 10);
  if (!d.ran) {
    std::cout << "\ncamera_footfall at 15 fps: not measured: " << d.error << "\n";
  } else {
    std::cout << "\n| storegated, one reading over " << (a.quick ? 2 : 10)
              << " s | CPU % of one core | RSS MB |\n|---|---|---|\n"
              << "| idle, no plugins (baseline) | " << fmt(d.idle.cpu_percent, 1) << " | "
              << fmt(d.idle.rss_mb, 1) << " |\n"
              << "| camera_footfall on vtest.avi at 15 fps | " << fmt(d.footfall.cpu_percent, 1)
              << " | " << fmt(d.footfall.rss_mb, 1) << " |\n";
  }
  footfallAccuracyTable(video);
}

// Prints member_code's decoder rows; false if a code was missed or invented.
bool memberCodeTable(const Args& a) {
  std::vector<double> with, empty, convert, video;
  bool ok = true;
  for (int i = 0; i < a.repeats; ++i) {
    const MemberCodeResult r = memberCodeRun(a.quick ? 30 : 200, a.dir / "member_code");
    ok = ok && r.complete;
    with.push_back(r.fps_with_code);
    empty.push_back(r.fps_empty);
    convert.push_back(r.fps_convert_only);
    video.push_back(r.fps_video);
  }
  std::cout << "\n| member_code decoder, 640×480 BGR frames, one core | frames/s | ratio to "
               "BGR→gray alone |\n|---|---|---|\n"
            << "| a QR code in view | " << fmt(median(with)) << " | "
            << fmt(median(with) / median(convert), 3) << " |\n"
            << "| no code in view | " << fmt(median(empty)) << " | "
            << fmt(median(empty) / median(convert), 3) << " |\n"
            << "| BGR→gray conversion alone (floor) | " << fmt(median(convert)) << " | 1 |\n"
            << "| whole input: MJPEG video file read by OpenCV + decoded | " << fmt(median(video))
            << " | " << fmt(median(video) / median(convert), 3) << " |\n";
  return ok;
}

// Prints sensor_mqtt's row; false if a message was lost.
bool sensorTable(const Args& a) {
  const uint64_t messages = a.quick ? 20'000 : 200'000;
  std::vector<double> bare, plugin;
  bool ok = true;
  for (int i = 0; i < a.repeats; ++i) {
    const SensorResult r = sensorRun(a.dir / "sensor", messages);
    if (!r.ran) return true;
    ok = ok && r.complete;
    bare.push_back(r.bare_mps);
    plugin.push_back(r.plugin_mps);
  }
  std::cout << "\n| sensors (" << messages << " QoS 0 messages, local Mosquitto) | messages/s | "
            << "bare subscriber | ratio |\n|---|---|---|---|\n"
            << "| sensor_mqtt → readings in the synced buffer | " << fmt(median(plugin)) << " | "
            << fmt(median(bare)) << " | " << fmt(median(plugin) / median(bare), 2) << " |\n";
  return ok;
}

// Prints the uplinks' table; false if an event was lost.
bool uplinkTable(const Args& a) {
  bool ok = true;
  const uint64_t uplink_events = a.quick ? 5'000 : 50'000;
  std::vector<double> bq1, bq0, gq1, gq0, gb, mp50, mp99, bh, gh, hp50, hp99;
  for (int i = 0; i < a.repeats; ++i) {
    const UplinkResult u = uplinkRun(a.dir / "uplink", uplink_events, a.quick ? 1 : 5);
    if (!u.ran) break;
    ok = ok && u.complete;
    bq1.push_back(u.bare_qos1);
    bq0.push_back(u.bare_qos0);
    gq1.push_back(u.gw_qos1);
    gq0.push_back(u.gw_qos0);
    gb.push_back(u.gw_batch100_qos1);
    mp50.push_back(u.mqtt_p50_ms);
    mp99.push_back(u.mqtt_p99_ms);
    bh.push_back(u.bare_http);
    gh.push_back(u.gw_http);
    hp50.push_back(u.http_p50_ms);
    hp99.push_back(u.http_p99_ms);
  }
  if (!bq1.empty()) {
    std::cout << "\n| uplink (" << uplink_events
              << " events, local Mosquitto / HTTP server) | events/s | bare client | ratio |\n"
                 "|---|---|---|---|\n"
              << "| platform_mqtt QoS 1, 1 event per message | " << fmt(median(gq1)) << " | "
              << fmt(median(bq1)) << " msg/s (Paho, 1,000 in flight) | "
              << fmt(median(gq1) / median(bq1), 2) << " |\n"
              << "| platform_mqtt QoS 0, 1 event per message | " << fmt(median(gq0)) << " | "
              << fmt(median(bq0)) << " msg/s | " << fmt(median(gq0) / median(bq0), 2) << " |\n"
              << "| platform_mqtt QoS 1, 100 events per message | " << fmt(median(gb)) << " | | |\n"
              << "| ↳ steady 1,000 events/s, emit → subscriber | p50 " << fmt(median(mp50), 2)
              << " ms, p99 " << fmt(median(mp99), 2) << " ms | | |\n"
              << "| platform_http, 500 events per POST | " << fmt(median(gh)) << " | "
              << fmt(median(bh)) << " (cpp-httplib, same batches) | "
              << fmt(median(gh) / median(bh), 2) << " |\n"
              << "| ↳ steady 1,000 events/s, emit → server | p50 " << fmt(median(hp50), 2)
              << " ms, p99 " << fmt(median(hp99), 2) << " ms | | |\n";
  }

  return ok;
}

int run(int argc, char** argv) {
  Args a;
  std::string cmdline = "storegate-bench";
  for (int i = 1; i < argc; ++i) cmdline += std::string(" ") + argv[i];
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--quick")
      a.quick = true;
    else if (s == "--scenario" && i + 1 < argc)
      only = argv[++i];
    else if (s == "--repeats" && i + 1 < argc)
      a.repeats = std::max(1, std::atoi(argv[++i]));
    else if (s == "--drain-events" && i + 1 < argc)
      a.drain_events = std::stoull(argv[++i]);
    else if (s == "--tombstone-events" && i + 1 < argc)
      a.tombstone_events = std::stoull(argv[++i]);
    else if (s == "--dir" && i + 1 < argc)
      a.dir = argv[++i];
    else {
      std::cerr << "usage: storegate-bench [--quick] [--repeats N] [--drain-events N] "
                   "[--tombstone-events N] [--dir DIR] [--scenario "
                   "drain|uplink|sensor|member_code|footfall]\n";
      return 2;
    }
  }
  LogOptions quiet;
  quiet.level = LogLevel::Warn;
  ignoreResult(Logger::instance().configure(quiet),
               "a bench that cannot quiet its log still measures");
  if (a.dir.empty())
    a.dir =
        std::filesystem::temp_directory_path() / ("storegate-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(a.dir);
  if (a.quick) {
    a.repeats = 1;
    a.drain_events = 100'000;
    a.tombstone_events = 200'000;
  }
  if (only == "drain") {
    // Run alone in a fresh process, so that RSS is the buffer's and not the leftovers of
    // the 64-thread scenarios (glibc keeps per-thread arenas).
    const auto r = drainRun(a, a.drain_events);
    std::cout << "drain " << r.drain_eps << " " << r.peak_rss << " " << (r.complete ? 1 : 0) << " "
              << r.write_amp << "\n";
    std::filesystem::remove_all(a.dir);
    return r.complete ? 0 : 1;
  }
  if (only == "footfall") {
    footfallTable(a);
    return 0;
  }
  if (only == "uplink" || only == "sensor" || only == "member_code") {
    const bool ok = only == "uplink"   ? uplinkTable(a)
                    : only == "sensor" ? sensorTable(a)
                                       : memberCodeTable(a);
    std::filesystem::remove_all(a.dir);
    return ok ? 0 : 1;
  }
  const uint64_t batch_total = a.quick ? 40'000 : 800'000;
  const uint64_t single_each = a.quick ? 50 : 300;
  bool ok = true;

  std::cout << "# storegate-bench\n\n`" << cmdline << "` on " << machine() << "; medians of "
            << a.repeats << " runs; 300-byte JSON events; durability sync unless stated.\n\n";

  // 1. Batch emit: 4 producers × emit_batch(1000).
  std::vector<double> raw1000, eps, e2e, p50, p99, rss, amp;
  for (int i = 0; i < a.repeats; ++i) {
    raw1000.push_back(rawCeiling(a, 1000, batch_total, true));
    const auto r = gatewayRun(a, 4, 1000, batch_total / 4);
    ok = ok && r.complete;
    eps.push_back(r.ingest_eps);
    e2e.push_back(r.end_to_end_eps);
    p50.push_back(r.p50_ms);
    p99.push_back(r.p99_ms);
    rss.push_back(double(r.peak_rss));
    amp.push_back(r.write_amp);
  }
  std::cout << "| scenario | gateway events/s | MB/s | emit p50 ms | emit p99 ms | peak RSS MB | "
               "ceiling events/s | ratio |\n"
               "|---|---|---|---|---|---|---|---|\n";
  std::cout << "| 4 producers × emit_batch(1000) | " << fmt(median(eps)) << " | "
            << fmt(median(eps) * 300 / 1e6, 1) << " | " << fmt(median(p50), 2) << " | "
            << fmt(median(p99), 2) << " | " << fmt(median(rss) / 1e6, 1) << " | "
            << fmt(median(raw1000)) << " (WriteBatch 1000) | "
            << fmt(median(eps) / median(raw1000), 2) << " |\n";
  std::cout << "| ↳ end to end, through the null sink | " << fmt(median(e2e)) << " | "
            << fmt(median(e2e) * 300 / 1e6, 1) << " | | | | | "
            << fmt(median(e2e) / median(raw1000), 2) << " |\n";

  // 2. Group commit: 64 producers × emit(1 event), each waiting for durability.
  std::vector<double> seps, sp50, sp99, groups, rawg;
  for (int i = 0; i < a.repeats; ++i) {
    const auto r = gatewayRun(a, 64, 1, single_each);
    ok = ok && r.complete;
    seps.push_back(r.ingest_eps);
    sp50.push_back(r.p50_ms);
    sp99.push_back(r.p99_ms);
    groups.push_back(r.avg_group);
    const auto g = static_cast<size_t>(std::max(1.0, r.avg_group + 0.5));
    rawg.push_back(rawCeiling(a, g, std::max<uint64_t>(g * 200, 20'000), true));
  }
  std::cout << "| 64 producers × emit(1) | " << fmt(median(seps)) << " | "
            << fmt(median(seps) * 300 / 1e6, 1) << " | " << fmt(median(sp50), 2) << " | "
            << fmt(median(sp99), 2) << " | | " << fmt(median(rawg)) << " (WriteBatch "
            << fmt(median(groups), 1) << " = group formed) | "
            << fmt(median(seps) / median(rawg), 2) << " |\n";

  // 3. Draining a backlog: RSS and speed.
  std::vector<double> deps, drss, damp;
  for (int i = 0; i < a.repeats; ++i) {
    const std::string cmd = "/proc/" + std::to_string(getpid()) +
                            "/exe --scenario drain --drain-events " +
                            std::to_string(a.drain_events) + " --dir " + (a.dir / "child").string();
    FILE* child = popen(cmd.c_str(), "r");
    double eps_v = 0, rss_v = 0, amp_v = 0;
    int complete = 0;
    if (child == nullptr ||
        std::fscanf(child, "drain %lf %lf %d %lf", &eps_v, &rss_v, &complete, &amp_v) != 4)
      complete = 0;
    if (child != nullptr) pclose(child);
    ok = ok && complete == 1;
    deps.push_back(eps_v);
    drss.push_back(rss_v);
    damp.push_back(amp_v);
  }
  std::cout << "| drain a backlog of " << a.drain_events << " to the null sink | "
            << fmt(median(deps)) << " | " << fmt(median(deps) * 300 / 1e6, 1) << " | | | "
            << fmt(median(drss) / 1e6, 1) << " | | |\n";

  // 4. Tombstones: read speed after many events passed through vs on a fresh database.
  std::vector<double> fresh, after;
  for (int i = 0; i < a.repeats; ++i) {
    fresh.push_back(readSpeedAfter(a, 0));
    after.push_back(readSpeedAfter(a, a.tombstone_events));
  }
  std::cout << "| read 200k events, fresh database | " << fmt(median(fresh)) << " | | | | | | |\n"
            << "| read 200k events after " << a.tombstone_events << " passed through | "
            << fmt(median(after)) << " | | | | | | " << fmt(median(after) / median(fresh), 2)
            << " of fresh |\n";

  // 5. POS adapters into the buffer (sync mode).
  const uint64_t pos_receipts = a.quick ? 20'000 : 100'000;
  std::vector<double> pfile, phook, pbatch;
  for (int i = 0; i < a.repeats; ++i) {
    const PosResult r = posRun(a.dir / "pos", pos_receipts);
    if (r.file_rps == 0) break;  // POS plugins not built
    ok = ok && r.complete;
    pfile.push_back(r.file_rps);
    phook.push_back(r.webhook_rps);
    pbatch.push_back(r.webhook_batch_rps);
  }
  if (!pfile.empty()) {
    std::cout << "| pos_file: one CSV of " << pos_receipts << " receipts dropped | "
              << fmt(median(pfile)) << " receipts/s | | | | | | |\n"
              << "| pos_webhook: 4 clients × 1 receipt per POST | " << fmt(median(phook))
              << " receipts/s | | | | | | |\n"
              << "| pos_webhook: 4 clients × 100 receipts per POST | " << fmt(median(pbatch))
              << " receipts/s | | | | | | |\n";
  }

  // 6. The cloud uplinks.
  ok = uplinkTable(a) && ok;

  // 7. Sensors over local MQTT.
  ok = sensorTable(a) && ok;

  // 8. Member codes in camera frames.
  ok = memberCodeTable(a) && ok;

  // 9. Footfall.
  footfallTable(a);

  std::cout << "\nWrite amplification (bytes RocksDB wrote to disk — WAL, flushes, compactions — "
               "per byte "
               "of event stored): sink keeping up "
            << fmt(median(amp), 2) << "; backlog of " << a.drain_events << " filled then drained "
            << fmt(median(damp), 2) << ".\n";
  std::filesystem::remove_all(a.dir);
  if (!ok) {
    std::cerr << "storegate-bench: events were lost on the way to the null sink\n";
    return 1;
  }
  return 0;
}

}  // namespace storegate::bench

int main(int argc, char** argv) {
  mallopt(M_ARENA_MAX, 4);  // as storegated does (core/main.cpp)
  try {
    return storegate::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "storegate-bench: " << e.what() << "\n";
    return 1;
  }
}
