// The admin API against the real daemon over loopback: every endpoint with each role and
// the refusals, a hot swap while events flow, the first token, hostile requests.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "admin/tokens.hpp"
#include "support/mosquitto.hpp"  // portAccepts
#include "support/pki.hpp"
#include "support/raw_http.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kViewer = "sg_viewer_token_000000000000000000000000000000000001";
constexpr const char* kOperator = "sg_operator_token_0000000000000000000000000000000002";
constexpr const char* kAdmin = "sg_admin_token_00000000000000000000000000000000000003";

class AdminApi : public ::testing::Test {
 protected:
  test::TempDir dir_;
  int port_ = test::freeLoopbackPort();
  std::unique_ptr<test::Process> daemon_;

  void writeTokens() {
    const auto file = dir_ / "tokens";
    {
      std::ofstream out(file);
      out << admin::TokenStore::sha256Hex(kViewer) << " viewer dashboard\n"
          << admin::TokenStore::sha256Hex(kOperator) << " operator night-shift\n"
          << admin::TokenStore::sha256Hex(kAdmin) << " admin fleet-ops\n";
    }
    ::chmod(file.c_str(), 0600);
  }

  void start(const std::string& admin_extra = "", bool tokens = true,
             const std::string& more_plugins = "") {
    if (tokens) writeTokens();
    // Tests poll the API in tight loops; only the hostile-request test keeps the real limit.
    const std::string limits = admin_extra.find("rate_per_second") == std::string::npos
                                   ? "  rate_per_second: 10000\n  burst: 10000\n"
                                   : "";
    std::filesystem::copy_file(test::fixtureDir() / "counter.so", dir_ / "counter-v0.so");
    const auto config = dir_ / "storegate.yaml";
    test::writeFile(config,
                    "store_id: store-0042\n"
                    "data_dir: data\n"
                    "plugin_dirs: [\"" +
                        test::pluginDir().string() + "\", \"" + test::fixtureDir().string() +
                        "\"]\n"
                        "log: {level: info, file: daemon.log}\n"
                        "admin:\n"
                        "  listen: 127.0.0.1:" +
                        std::to_string(port_) +
                        "\n"
                        "  tokens_file: tokens\n"
                        "  max_body: 4KiB\n"
                        "  timeout: 2s\n" +
                        limits + admin_extra +
                        "plugins:\n"
                        "  - name: count\n"
                        "    plugin: counter\n"
                        "    library: counter-v0.so\n"
                        "    config: {pause_us: 300}\n"
                        "  - name: out\n"
                        "    plugin: file_sink\n"
                        "    config: {path: events.jsonl}\n" +
                        more_plugins);
    daemon_ = std::make_unique<test::Process>(test::storegatedPath(),
                                              std::vector<std::string>{"--config", config.string()},
                                              dir_ / "out.log");
    const bool tls = admin_extra.find("tls:") != std::string::npos;
    ASSERT_TRUE(test::waitUntil(
        [&] {
          if (tls) return test::portAccepts(port_);
          auto r = client().Get("/v1/health");
          return r && r->status == 200;
        },
        20s))
        << daemon_->output();
  }
  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->signal(SIGTERM);
      daemon_->wait(20s);
    }
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2);
    c.set_read_timeout(10);
    return c;
  }
  static httplib::Headers auth(const char* token) {
    return {{"Authorization", std::string("Bearer ") + token}};
  }

  // {status, body}
  std::pair<int, json> call(const std::string& method, const std::string& path, const char* token,
                            const std::string& body = "") {
    auto c = client();
    const auto h = token != nullptr ? auth(token) : httplib::Headers{};
    httplib::Result r = method == "GET"    ? c.Get(path, h)
                        : method == "POST" ? c.Post(path, h, body, "application/json")
                        : method == "PUT"  ? c.Put(path, h, body, "application/json")
                                           : c.Delete(path, h);
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  static std::string code(const json& j) {
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
};

}  // namespace

TEST_F(AdminApi, EveryEndpointWithEachRoleAndTheRefusals) {
  start();
  // Health is open; everything else needs a token with the right role.
  EXPECT_EQ(call("GET", "/v1/health", nullptr).first, 200);
  EXPECT_EQ(call("GET", "/v1/status", nullptr).first, 401);
  EXPECT_EQ(call("GET", "/v1/status", "sg_not_a_token").first, 401);
  auto [st, status] = call("GET", "/v1/status", kViewer);
  ASSERT_EQ(st, 200);
  EXPECT_EQ(status["store_id"], "store-0042");
  EXPECT_EQ(status["plugins"], 2);

  auto [pl, plugins] = call("GET", "/v1/plugins", kViewer);
  ASSERT_EQ(pl, 200);
  ASSERT_EQ(plugins["plugins"].size(), 2u);
  EXPECT_EQ(call("GET", "/v1/plugins/count", kViewer).second["state"], "running");
  EXPECT_EQ(call("GET", "/v1/plugins/nope", kViewer).first, 404);
  EXPECT_EQ(call("DELETE", "/v1/status", kAdmin).first, 405);
  EXPECT_EQ(call("GET", "/v1/nothing/here", kAdmin).first, 404);

  // Stop and start: operator, not viewer; 409 when already so.
  const auto refused = call("POST", "/v1/plugins/count/stop", kViewer);
  EXPECT_EQ(refused.first, 403);
  EXPECT_EQ(code(refused.second), "forbidden");
  EXPECT_EQ(call("POST", "/v1/plugins/count/stop", kOperator).second["state"], "stopped");
  EXPECT_EQ(call("POST", "/v1/plugins/count/stop", kOperator).first, 409);
  EXPECT_EQ(call("POST", "/v1/plugins/count/start", kOperator).second["state"], "running");
  EXPECT_EQ(call("POST", "/v1/plugins/count/start", kOperator).first, 409);

  // Config changes are validated by the plugin's schema: 422 with the path.
  auto [bad, why] = call("PUT", "/v1/plugins/out/config", kOperator,
                         R"({"config":{"path":"e.jsonl","max_files":5000}})");
  EXPECT_EQ(bad, 422);
  ASSERT_FALSE(why["error"]["errors"].empty()) << why;
  EXPECT_NE(why["error"]["errors"][0]["path"].get<std::string>().find("max_files"),
            std::string::npos)
      << why;
  EXPECT_EQ(code(call("PUT", "/v1/plugins/out/config", kOperator, R"({"config":{},"colour":"red"})")
                     .second),
            "unknown_field");
  EXPECT_EQ(call("PUT", "/v1/plugins/out/config", kOperator, R"({"config": [1]})").first, 422);
  EXPECT_EQ(call("PUT", "/v1/plugins/out/config", kOperator, "{not json").first, 400);
  EXPECT_EQ(call("PUT", "/v1/plugins/out/config", kOperator,
                 R"({"config":{"path":"events.jsonl","max_files":3}})")
                .first,
            200);
  EXPECT_EQ(call("GET", "/v1/plugins/out", kViewer).second["config"]["max_files"], 3);

  // Loading and unloading: admin only; a taken name is a conflict.
  EXPECT_EQ(call("POST", "/v1/plugins", kOperator, R"({"name":"hi","plugin":"hello"})").first, 403);
  EXPECT_EQ(call("POST", "/v1/plugins", kAdmin, R"({"name":"count","plugin":"hello"})").first, 409);
  // Names of the core's own readers, and names no config could hold, are refused by name.
  for (const char* bad : {"_admin_remote", "../x", "Front Door", ""}) {
    const auto [st, body] =
        call("POST", "/v1/plugins", kAdmin, json{{"name", bad}, {"plugin", "hello"}}.dump());
    EXPECT_EQ(st, 422) << bad;
    EXPECT_EQ(body["error"].value("path", ""), "name") << body.dump();
  }
  EXPECT_EQ(call("POST", "/v1/plugins", kAdmin,
                 R"({"name":"hi","plugin":"hello","config":{"interval":"2 weeks"}})")
                .first,
            422);
  EXPECT_EQ(call("POST", "/v1/plugins", kAdmin,
                 R"({"name":"hi","plugin":"hello","config":{"interval":"50ms"}})")
                .first,
            201);
  EXPECT_EQ(call("GET", "/v1/plugins/hi", kViewer).second["state"], "running");
  EXPECT_EQ(call("DELETE", "/v1/plugins/hi", kOperator).first, 403);
  EXPECT_EQ(call("DELETE", "/v1/plugins/hi", kAdmin).first, 200);
  EXPECT_EQ(call("DELETE", "/v1/plugins/hi", kAdmin).first, 404);
  EXPECT_EQ(call("POST", "/v1/plugins/count/swap", kAdmin, R"({"library":"relative.so"})").first,
            422);

  // Buffer, events, logs, metrics, the OpenAPI document.
  ASSERT_TRUE(test::waitUntil(
      [&] { return call("GET", "/v1/buffer", kViewer).second["last_sequence"].get<int>() > 10; }));
  const json buffer = call("GET", "/v1/buffer", kViewer).second;
  ASSERT_EQ(buffer["sinks"].size(), 1u);
  EXPECT_EQ(buffer["sinks"][0]["sink"], "out");
  EXPECT_EQ(call("GET", "/v1/events?last=5", kViewer).second["events"].size(), 5u);
  EXPECT_FALSE(call("GET", "/v1/logs?lines=10", kViewer).second["lines"].empty());
  EXPECT_EQ(call("GET", "/v1/buffer/dead-letters", kViewer).first, 200);
  auto c = client();
  auto metrics = c.Get("/metrics", auth(kViewer));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("storegate_buffer_events_in_total"), std::string::npos);
  EXPECT_NE(metrics->body.find("storegate_buffer_commit_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics->body.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(metrics->body.find("storegate_sink_deliver_seconds_bucket{instance=\"out\""),
            std::string::npos);
  EXPECT_EQ(c.Get("/metrics")->status, 401);
  const json openapi = call("GET", "/v1/openapi.json", kViewer).second;
  EXPECT_EQ(openapi["openapi"], "3.0.3");
  EXPECT_TRUE(openapi["paths"].contains("/v1/plugins/{name}/swap"));

  // A whole config checked without applying it.
  auto valid =
      c.Post("/v1/config/validate", auth(kOperator),
             "store_id: s\ndata_dir: d\nplugins: [{name: a, plugin: hello}]\n", "application/yaml");
  EXPECT_EQ(valid->status, 200) << valid->body;
  auto invalid = c.Post("/v1/config/validate", auth(kOperator),
                        "store_id: s\ndata_dir: d\nplugins: [{name: a, plugin: teleporter}]\n",
                        "application/yaml");
  EXPECT_EQ(invalid->status, 422);
  EXPECT_EQ(c.Post("/v1/config/validate", auth(kViewer), "x: 1", "application/yaml")->status, 403);

  // Bodies: bounded, not chunked, not compressed.
  EXPECT_EQ(call("PUT", "/v1/plugins/out/config", kOperator, std::string(5000, ' ')).first, 413);
  httplib::Headers gz = auth(kOperator);
  gz.emplace("Content-Encoding", "gzip");
  EXPECT_EQ(c.Put("/v1/plugins/out/config", gz, "xx", "application/json")->status, 415);

  // Every change is in the audit log: who, what, result.
  bool stop_audited = false, refusal_audited = false;
  for (const auto& line : test::readLines(dir_ / "data" / "audit.log")) {
    const json a = json::parse(line);
    stop_audited = stop_audited || (a["who"] == "night-shift" &&
                                    a["path"] == "/v1/plugins/count/stop" && a["status"] == 200);
    refusal_audited = refusal_audited || (a["who"] == "dashboard" && a["status"] == 403);
  }
  EXPECT_TRUE(stop_audited);
  EXPECT_TRUE(refusal_audited);
  struct stat sb {};
  ASSERT_EQ(::stat((dir_ / "data" / "audit.log").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 077, 0u) << "the audit log is private";
}

TEST_F(AdminApi, AHotSwapThroughTheApiWhileEventsFlowLosesNothing) {
  start();
  for (int n = 1; n <= 3; ++n) {
    const auto next = dir_ / ("counter-v" + std::to_string(n) + ".so");
    std::filesystem::copy_file(test::fixtureDir() / "counter.so", next);
    const auto last = [&] {
      const auto [status, body] = call("GET", "/v1/buffer", kViewer);
      EXPECT_EQ(status, 200) << body;
      return status == 200 ? body["last_sequence"].get<int>() : -1;
    };
    const int before = last();
    ASSERT_TRUE(test::waitUntil([&] { return last() > before + 50; }));
    if (n < 3) {
      auto [s, r] =
          call("POST", "/v1/plugins/count/swap", kAdmin, json{{"library", next.string()}}.dump());
      ASSERT_EQ(s, 200) << r;
      EXPECT_TRUE(r["swapped"].get<bool>());
      EXPECT_EQ(call("GET", "/v1/plugins/count", kViewer).second["library"], next.string());
    } else {
      // The last build arrives over the API, as bytes.
      auto c = client();
      EXPECT_EQ(c.Post("/v1/plugins/count/upload", auth(kAdmin), "not a plugin",
                       "application/octet-stream")
                    ->status,
                422);
      EXPECT_EQ(c.Post("/v1/plugins/count/upload", auth(kOperator), test::readFile(next),
                       "application/octet-stream")
                    ->status,
                403);
      auto up = c.Post("/v1/plugins/count/upload", auth(kAdmin), test::readFile(next),
                       "application/octet-stream");
      ASSERT_TRUE(up);
      ASSERT_EQ(up->status, 200) << up->body;
      const json r = json::parse(up->body);
      EXPECT_TRUE(r["swapped"].get<bool>());
      EXPECT_NE(r["library"].get<std::string>().find("/data/plugins/counter-"), std::string::npos)
          << r;
    }
  }
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(20s), 0);
  uint64_t expected = 1;
  for (const auto& line : test::readLines(dir_ / "events.jsonl")) {
    const json e = json::parse(line);
    ASSERT_EQ(e["data"]["seq"].get<uint64_t>(), expected) << "lost, repeated or reordered";
    ++expected;
  }
  EXPECT_GT(expected, 150u);
}

TEST_F(AdminApi, TheFirstStartMakesOneAdminTokenAndKeepsOnlyItsHash) {
  start("", /*tokens=*/false);
  const std::string out = daemon_->output();
  const auto at = out.find("sg_");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string token = out.substr(at, 67);
  EXPECT_EQ(call("GET", "/v1/status", token.c_str()).first, 200);
  EXPECT_EQ(call("POST", "/v1/plugins/count/stop", token.c_str()).first, 200) << "an admin token";
  const std::string file = test::readFile(dir_ / "tokens");
  EXPECT_EQ(file.find(token), std::string::npos) << "only the hash is stored";
  EXPECT_NE(file.find(admin::TokenStore::sha256Hex(token)), std::string::npos);
  struct stat sb {};
  ASSERT_EQ(::stat((dir_ / "tokens").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(test::readFile(dir_ / "daemon.log").find(token), std::string::npos) << "never logged";
}

TEST_F(AdminApi, HostileRequestsAreRefusedAndHealthAnswersThroughout) {
  start("  rate_per_second: 50\n  burst: 50\n");
  const auto healthy = [&] {
    auto r = client().Get("/v1/health");
    return r && r->status == 200;
  };
  auto c = client();
  // A 1 MB header line and 1,000 headers.
  httplib::Headers huge = auth(kViewer);
  huge.emplace("X-Big", std::string(1 << 20, 'a'));
  auto big = c.Get("/v1/status", huge);
  EXPECT_TRUE(!big || big->status == 400 || big->status == 431) << (big ? big->status : 0);
  httplib::Headers many = auth(kViewer);
  for (int i = 0; i < 1000; ++i) many.emplace("X-H" + std::to_string(i), "v");
  auto lots = c.Get("/v1/status", many);
  EXPECT_TRUE(!lots || lots->status == 400 || lots->status == 431);
  EXPECT_TRUE(healthy());

  // CRLF smuggled through percent-encoding never reaches a handler.
  auto crlf = c.Get("/v1/plugins/count%0D%0AX-Injected:%20yes", auth(kViewer));
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->status, 400);
  EXPECT_EQ(crlf->get_header_value("X-Injected"), "");

  // Slowloris: connections that send half a request hold a worker only until the timeout.
  std::vector<int> slow;
  for (int i = 0; i < 12; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      (void)::send(fd, "GET /v1/status HTTP/1.1\r\nHost: x\r\n", 33, 0);
      slow.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  EXPECT_TRUE(test::waitUntil(healthy, 10s)) << "health answers despite slow clients";
  for (int fd : slow) ::close(fd);

  // A chunked body is refused before it is read, whatever it would grow to.
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string req = std::string("PUT /v1/plugins/out/config HTTP/1.1\r\nHost: x\r\n") +
                            "Authorization: Bearer " + kOperator +
                            "\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n" +
                            std::string(4096, 'x');
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[512] = {};
    const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf).find(" 411 "), std::string::npos) << buf;
  }

  // A burst of 10,000 on one connection: most are rate-limited (429 with Retry-After), none
  // crash the daemon.
  c.set_keep_alive(true);
  int limited = 0, ok = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto r = c.Get("/v1/status", auth(kViewer));
    if (r && r->status == 429) {
      if (++limited == 1) {
        EXPECT_EQ(r->get_header_value("Retry-After"), "1");
      }
    } else if (r && r->status == 200) {
      ++ok;
    }
  }
  EXPECT_GT(limited, 5000);
  EXPECT_GT(ok, 40);
  EXPECT_TRUE(daemon_->running());
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(healthy());
  // Memory stays bounded.
  const std::string status = test::readFile("/proc/" + std::to_string(daemon_->pid()) + "/status");
  const auto rss = status.find("VmRSS:");
  ASSERT_NE(rss, std::string::npos);
  EXPECT_LT(std::stol(status.substr(rss + 6)), 150 * 1024) << "kB";
}

TEST_F(AdminApi, AConfigApplyThatFailsHalfWayIsRolledBackAndTheFileKept) {
  start();
  const auto file = dir_ / "storegate.yaml";
  const std::string before = test::readFile(file);
  auto c = client();
  const std::string broken = before +
                             "  - name: hi\n    plugin: hello\n    config: {interval: 50ms}\n"
                             "  - name: broken\n    plugin: fails_start\n";
  auto r = c.Put("/v1/config", auth(kAdmin), broken, "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  const json why = json::parse(r->body);
  EXPECT_EQ(why["error"]["code"], "apply_failed");
  EXPECT_TRUE(why["error"]["rolled_back"].get<bool>());
  EXPECT_EQ(test::readFile(file), before) << "the file is unchanged";
  EXPECT_EQ(call("GET", "/v1/plugins/hi", kViewer).first, 404)
      << "the part that applied was undone";
  EXPECT_EQ(call("GET", "/v1/plugins/broken", kViewer).first, 404);

  EXPECT_EQ(c.Put("/v1/config", auth(kOperator), broken, "application/yaml")->status, 403);
  EXPECT_EQ(c.Put("/v1/config", auth(kAdmin), "plugins: 3", "application/yaml")->status, 422);
  EXPECT_EQ(test::readFile(file), before);

  const std::string good =
      before + "  - name: hi\n    plugin: hello\n    config: {interval: 50ms}\n";
  r = c.Put("/v1/config", auth(kAdmin), good, "application/yaml");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(test::readFile(file), good) << "persisted";
  EXPECT_EQ(call("GET", "/v1/plugins/hi", kViewer).second["state"], "running");
  EXPECT_EQ(json::parse(c.Get("/v1/config", auth(kAdmin))->body)["yaml"], good);
  EXPECT_EQ(c.Get("/v1/config", auth(kOperator))->status, 403);
}

TEST_F(AdminApi, DeadLettersAreListedRetriedAndDiscardedAndASinkReplays) {
  start("", true,
        "  - name: greeter\n    plugin: hello\n    config: {interval: 20ms, greeting: poison}\n"
        "  - name: picky\n    plugin: flaky_sink\n    match: [gateway.demo.hello]\n"
        "    config: {record: picky.txt}\n"
        "  - name: slow\n    plugin: flaky_sink\n    config: {record: slow.txt, fail_for: 1h}\n");
  ASSERT_TRUE(test::waitUntil([&] {
    return call("GET", "/v1/buffer/dead-letters", kViewer).second["dead_letters"].size() >= 3;
  }));
  const json letters = call("GET", "/v1/buffer/dead-letters", kViewer).second["dead_letters"];
  const json first = letters[0];
  EXPECT_EQ(first["sink"], "picky");
  EXPECT_NE(first["reason"].get<std::string>().find("poison"), std::string::npos);
  const std::string path =
      "/v1/buffer/dead-letters/picky/" + std::to_string(first["sequence"].get<uint64_t>());
  EXPECT_EQ(call("DELETE", path, kViewer).first, 403);
  EXPECT_EQ(call("DELETE", path, kOperator).first, 200);
  EXPECT_EQ(call("DELETE", path, kOperator).first, 404);
  EXPECT_EQ(call("DELETE", "/v1/buffer/dead-letters/picky/12x", kOperator).first, 400);
  const std::string second =
      "/v1/buffer/dead-letters/picky/" + std::to_string(letters[1]["sequence"].get<uint64_t>());
  const int before = call("GET", "/v1/buffer", kViewer).second["last_sequence"].get<int>();
  EXPECT_EQ(call("POST", second + "/retry", kOperator).first, 200);
  EXPECT_GT(call("GET", "/v1/buffer", kViewer).second["last_sequence"].get<int>(), before)
      << "appended again";
  EXPECT_EQ(call("POST", second + "/retry", kOperator).first, 404);

  // Replay: the "slow" sink holds everything back, so "out" can be sent it all again.
  ASSERT_TRUE(test::waitUntil([&] { return test::readLines(dir_ / "events.jsonl").size() > 100; }));
  ASSERT_EQ(call("POST", "/v1/plugins/count/stop", kOperator).first, 200);
  ASSERT_EQ(call("POST", "/v1/plugins/greeter/stop", kOperator).first, 200);
  std::this_thread::sleep_for(300ms);
  const size_t lines = test::readLines(dir_ / "events.jsonl").size();
  auto [rs, rb] = call("POST", "/v1/buffer/sinks/out/replay", kOperator, R"({"from": 1})");
  ASSERT_EQ(rs, 200) << rb;
  EXPECT_EQ(rb["cursor"], 0);
  ASSERT_TRUE(
      test::waitUntil([&] { return test::readLines(dir_ / "events.jsonl").size() >= 2 * lines; }));
  EXPECT_EQ(call("POST", "/v1/buffer/sinks/nope/replay", kOperator, R"({"from": 1})").first, 404);
  EXPECT_EQ(call("POST", "/v1/buffer/sinks/out/replay", kOperator, R"({"from": "x"})").first, 422);
}

TEST_F(AdminApi, ServerSentEventsFollowTheBuffer) {
  start();
  auto c = client();
  std::string got;
  auto r = c.Get("/v1/events/follow?seconds=1", auth(kViewer), [&](const char* data, size_t n) {
    got.append(data, n);
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_NE(got.find("data: {"), std::string::npos) << got.substr(0, 300);
  EXPECT_NE(got.find("\"seq\""), std::string::npos);
  EXPECT_EQ(c.Get("/v1/events/follow?seconds=1")->status, 401);
}

TEST_F(AdminApi, StoregatectlPrintsTablesOrJsonWithExitCodesScriptsCanTrust) {
  start();
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const auto ctl = [&](std::vector<std::string> args, const char* token = kOperator) {
    args.insert(args.begin(), {"--url", url, "--token", token});
    return test::runProgram(test::storegatectlPath(), args);
  };
  auto [code, out] = ctl({"plugins"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("NAME"), std::string::npos);
  EXPECT_NE(out.find("count"), std::string::npos);
  EXPECT_NE(out.find("running"), std::string::npos);

  std::tie(code, out) = ctl({"--json", "status"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(json::parse(out)["store_id"], "store-0042");

  std::tie(code, out) = ctl({"stop", "count"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("count: stopped"), std::string::npos) << out;
  std::tie(code, out) = ctl({"stop", "count"});
  EXPECT_EQ(code, 1) << "refused by the API";
  EXPECT_NE(out.find("409 conflict"), std::string::npos) << out;
  std::tie(code, out) = ctl({"start", "count"}, kViewer);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("403 forbidden"), std::string::npos) << out;

  std::tie(code, out) = ctl({"lag"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("out"), std::string::npos);
  std::tie(code, out) = ctl({"tail", "3"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("counter"), std::string::npos) << out;

  test::writeFile(dir_ / "bad.yaml",
                  "store_id: s\ndata_dir: d\nplugins: [{name: a, plugin: teleporter}]\n");
  std::tie(code, out) = ctl({"config", "validate", (dir_ / "bad.yaml").string()});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("teleporter"), std::string::npos) << out;

  std::tie(code, out) = ctl({"frobnicate"});
  EXPECT_EQ(code, 2);
  const auto [down, why] = test::runProgram(
      test::storegatectlPath(),
      {"--url", "http://127.0.0.1:" + std::to_string(test::freeLoopbackPort()), "status"});
  EXPECT_EQ(down, 3);
  EXPECT_NE(why.find("cannot reach"), std::string::npos);
}

TEST_F(AdminApi, TlsWithClientCertificates) {
  const test::TestPki pki = test::makeTestPki(dir_ / "pki");
  start("  tls: {cert_file: " + pki.server_cert.string() + ", key_file: " +
        pki.server_key.string() + ", client_ca_file: " + pki.ca_cert.string() + "}\n");
  httplib::SSLClient with_cert("127.0.0.1", port_, pki.client_cert.string(),
                               pki.client_key.string());
  with_cert.set_ca_cert_path(pki.ca_cert.string());
  with_cert.enable_server_certificate_verification(true);
  auto ok = with_cert.Get("/v1/status", auth(kViewer));
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);

  httplib::SSLClient without_cert("127.0.0.1", port_);
  without_cert.set_ca_cert_path(pki.ca_cert.string());
  without_cert.set_connection_timeout(2);
  auto refused = without_cert.Get("/v1/health");
  EXPECT_FALSE(refused && refused->status == 200) << "a client certificate is required";
  auto plain = client().Get("/v1/health");
  EXPECT_FALSE(plain && plain->status == 200) << "no plain HTTP on a TLS listener";
}

}  // namespace storegate

namespace storegate {
namespace {

// A camera looking at OpenCV's sample pedestrian video (Debian: opencv-doc).
constexpr const char* kCamera =
    "  - name: door\n"
    "    plugin: camera_footfall\n"
    "    config:\n"
    "      camera.url: /usr/share/doc/opencv-doc/examples/data/vtest.avi\n"
    "      camera.loop: true\n"
    "      camera.max_fps: 10\n"
    "      lines: [{name: west, points: [[160, 110], [160, 250]]}]\n";

// Width and height from a PNG's IHDR chunk (big-endian, bytes 16..23).
std::pair<uint32_t, uint32_t> pngSize(const std::string& png) {
  const auto word = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = at; i < at + 4; ++i) v = (v << 8) | static_cast<unsigned char>(png.at(i));
    return v;
  };
  return {word(16), word(20)};
}

}  // namespace

TEST_F(AdminApi, ACameraSnapshotIsAnAnnotatedPngForAdminsOnlyAndAudited) {
  start("", true, kCamera);
  auto c = client();
  c.set_read_timeout(10);
  EXPECT_EQ(c.Get("/v1/plugins/door/snapshot", auth(kViewer))->status, 403);
  EXPECT_EQ(c.Get("/v1/plugins/door/snapshot", auth(kOperator))->status, 403);
  auto r = c.Get("/v1/plugins/door/snapshot", auth(kAdmin));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(r->body.size(), 1000U);
  EXPECT_EQ(r->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(pngSize(r->body), std::make_pair(640U, 480U)) << "the frame the lines are drawn in";

  EXPECT_EQ(call("GET", "/v1/plugins/count/snapshot", kAdmin).second["error"]["code"],
            "unsupported");
  EXPECT_EQ(call("GET", "/v1/plugins/nobody/snapshot", kAdmin).first, 404);

  // storegatectl writes it to a file.
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const auto file = dir_ / "door-calibration.png";
  const auto [code, out] = test::runProgram(
      test::storegatectlPath(),
      {"--url", url, "--token", kAdmin, "camera", "snapshot", "door", file.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("640x480 PNG"), std::string::npos) << out;
  EXPECT_EQ(pngSize(test::readFile(file)), std::make_pair(640U, 480U));

  ASSERT_EQ(call("POST", "/v1/plugins/door/stop", kOperator).first, 200);
  const auto stopped = call("GET", "/v1/plugins/door/snapshot", kAdmin);
  EXPECT_EQ(stopped.first, 409);
  EXPECT_EQ(stopped.second["error"]["code"], "not_running");

  // Images leaving the process are audited like changes.
  int audited = 0;
  for (const auto& line : test::readLines(dir_ / "data" / "audit.log")) {
    const json a = json::parse(line);
    audited +=
        a["path"] == "/v1/plugins/door/snapshot" && a["who"] == "fleet-ops" && a["status"] == 200;
  }
  EXPECT_EQ(audited, 2);
}

}  // namespace storegate

namespace storegate {

TEST_F(AdminApi, TheConsoleIsServedWithItsOwnFilesAndTheSessionSaysTheRole) {
  start();
  auto c = client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("/console/app.js"), std::string::npos);
  // Nothing from elsewhere: the page works offline and scripts come only from here.
  EXPECT_EQ(page->body.find("http"), std::string::npos) << "no external address in the page";
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(c.Get("/console/app.js")->get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(c.Get("/console/style.css")->status, 200);

  const auto who = call("GET", "/v1/session", kOperator);
  EXPECT_EQ(who.first, 200);
  EXPECT_EQ(who.second["role"], "operator");
  EXPECT_EQ(who.second["name"], "night-shift");
  EXPECT_EQ(call("GET", "/v1/session", nullptr).first, 401);

  const auto today = call("GET", "/v1/store/today", kViewer);
  EXPECT_EQ(today.first, 200);
  EXPECT_EQ(today.second["hours"].size(), 24U);
  EXPECT_TRUE(today.second.contains("conversion"));
  const auto buffer = call("GET", "/v1/buffer", kViewer).second;
  ASSERT_FALSE(buffer["sinks"].empty());
  EXPECT_TRUE(buffer["sinks"][0].contains("oldest_undelivered_age_s"));
}

TEST_F(AdminApi, AMergedConfigChangeKeepsTheSettingsItDoesNotName) {
  start();
  // file_sink "out" runs with {path: events.jsonl}; change only max_files.
  auto r = call("PUT", "/v1/plugins/out/config", kOperator,
                R"({"config": {"max_files": 7}, "merge": true})");
  ASSERT_EQ(r.first, 200) << r.second.dump();
  EXPECT_EQ(r.second["config"]["max_files"], 7);
  EXPECT_EQ(r.second["config"]["path"].get<std::string>().find("events.jsonl") != std::string::npos,
            true)
      << "the path it did not name is kept";
  r = call("PUT", "/v1/plugins/out/config", kOperator, R"({"config": {}, "merge": "yes"})");
  EXPECT_EQ(r.first, 422);
  EXPECT_EQ(r.second["error"]["path"], "merge");
}

}  // namespace storegate

namespace storegate {

TEST_F(AdminApi, ChangesMadeThroughTheApiAreKeptAcrossARestart) {
  start();
  // Two merge patches: the second applies to the running spec, so it keeps the first.
  ASSERT_EQ(call("PUT", "/v1/plugins/out/config", kOperator,
                 R"({"config": {"max_files": 7}, "merge": true})")
                .first,
            200);
  auto r = call("PUT", "/v1/plugins/out/config", kOperator,
                R"({"config": {"max_file_size": "2MiB"}, "merge": true})");
  ASSERT_EQ(r.first, 200) << r.second.dump();
  EXPECT_EQ(r.second["config"]["max_files"], 7) << "the first patch was lost";
  // An operator stops the counter; an admin adds a second sink.
  ASSERT_EQ(call("POST", "/v1/plugins/count/stop", kOperator).first, 200);
  ASSERT_EQ(
      call("POST", "/v1/plugins", kAdmin,
           R"({"name": "audit_copy", "plugin": "file_sink", "config": {"path": "copy.jsonl"}})")
          .first,
      201);
  const auto status_before = call("GET", "/v1/status", kViewer).second;

  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(20s), 0);
  daemon_ = std::make_unique<test::Process>(
      test::storegatedPath(),
      std::vector<std::string>{"--config", (dir_ / "storegate.yaml").string()}, dir_ / "out2.log");
  ASSERT_TRUE(test::waitUntil(
      [&] {
        auto h = client().Get("/v1/health");
        return h && h->status < 500;
      },
      20s))
      << daemon_->output();
  const json out = call("GET", "/v1/plugins/out", kViewer).second;
  EXPECT_EQ(out["config"]["max_files"], 7) << out.dump();
  EXPECT_EQ(out["config"]["max_file_size"], "2MiB") << out.dump();
  EXPECT_EQ(call("GET", "/v1/plugins/count", kViewer).second["state"], "stopped")
      << "an instance an operator stopped stays stopped";
  EXPECT_EQ(call("GET", "/v1/plugins/audit_copy", kViewer).second["state"], "running");
  const auto status_after = call("GET", "/v1/status", kViewer).second;
  EXPECT_EQ(status_after["config"]["version"], status_before["config"]["version"]);
  EXPECT_EQ(status_after["config"]["hash"], status_before["config"]["hash"]);
  EXPECT_NE(test::readFile(dir_ / "storegate.yaml").find("pause_us: 300"), std::string::npos)
      << "the config file itself is the integrator's: the API never rewrites it";

  // Editing that instance in the file and reloading: the file is newer, so it wins.
  std::string yaml = test::readFile(dir_ / "storegate.yaml");
  yaml.replace(yaml.find("{path: events.jsonl}"), 20, "{path: events.jsonl, max_files: 3}");
  test::writeFile(dir_ / "storegate.yaml", yaml);
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(test::waitUntil(
      [&] { return call("GET", "/v1/plugins/out", kViewer).second["config"]["max_files"] == 3; },
      20s))
      << test::readFile(dir_ / "daemon.log");
}

TEST_F(AdminApi, ConcurrentChangesFromEveryPathAreAppliedOneAtATime) {
  start();
  // SIGHUPs, stops/starts, config patches and listings at once, from several threads;
  // every change must be answered (never 5xx, never a crash) and the daemon stay up.
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  const auto until = std::chrono::steady_clock::now() + 4s;
  threads.emplace_back([&] {
    for (int i = 0; i < 20 && std::chrono::steady_clock::now() < until; ++i) {
      daemon_->signal(SIGHUP);
      std::this_thread::sleep_for(100ms);
    }
  });
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40 && std::chrono::steady_clock::now() < until; ++i) {
        int s = 0;
        if (t == 0)
          s = call("POST", i % 2 ? "/v1/plugins/count/start" : "/v1/plugins/count/stop", kOperator)
                  .first;
        if (t == 1)
          s = call("PUT", "/v1/plugins/out/config", kOperator,
                   R"({"config": {"max_files": )" + std::to_string(1 + i % 9) +
                       R"(}, "merge": true})")
                  .first;
        if (t == 2) s = call("GET", "/metrics", kViewer).first;
        if (s == 0 || s >= 500) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(daemon_->running()) << daemon_->output();
  EXPECT_EQ(call("GET", "/v1/plugins/out", kViewer).second["state"], "running");
}

}  // namespace storegate

namespace storegate {

TEST_F(AdminApi, StatusAnswersInOneCallAndHealthSaysDegradedWithTheReason) {
  start("", true, "  - {name: broken, plugin: fails_start}\n");
  // Healthy sinks deliver; the failed source makes the store degraded, not down.
  ASSERT_TRUE(test::waitUntil(
      [&] {
        const json s = call("GET", "/v1/status", kViewer).second;
        for (const auto& k : s["sinks"])
          if (k["name"] == "out" && k["last_delivery_at"].is_string()) return true;
        return false;
      },
      20s));
  const json s = call("GET", "/v1/status", kViewer).second;
  EXPECT_FALSE(s["version"].get<std::string>().empty());
  EXPECT_TRUE(s["config"]["version"].is_number());
  EXPECT_EQ(s["config"]["hash"].get<std::string>().size(), 16u);
  EXPECT_GT(s["disk"]["free_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["uplink"]["state"], "none") << "no platform sink in this config";
  std::map<std::string, json> by_name;
  for (const auto& i : s["instances"]) by_name[i["name"]] = i;
  EXPECT_EQ(by_name["count"]["state"], "running");
  EXPECT_EQ(by_name["broken"]["state"], "failed");
  EXPECT_NE(by_name["count"]["build"]["library"].get<std::string>().find("counter-v0.so"),
            std::string::npos);
  EXPECT_EQ(s["health"]["status"], "degraded");

  const auto [hs, anonymous] = call("GET", "/v1/health", nullptr);
  EXPECT_EQ(hs, 200) << "a failed plugin leaves the daemon alive: probes must not restart it";
  EXPECT_EQ(anonymous["status"], "degraded");
  EXPECT_FALSE(anonymous.contains("reasons")) << "errors may name hosts: only for token holders";
  const json health = call("GET", "/v1/health", kViewer).second;
  ASSERT_FALSE(health["reasons"].empty());
  EXPECT_NE(health["reasons"][0].get<std::string>().find("broken is failed"), std::string::npos)
      << health.dump();
  EXPECT_EQ(call("GET", "/v1/health?strict=true", nullptr).first, 503);
  // Removing the broken instance makes the store healthy again.
  ASSERT_EQ(call("DELETE", "/v1/plugins/broken", kAdmin).first, 200);
  EXPECT_EQ(call("GET", "/v1/health?strict=true", nullptr).second["status"], "ok");

  auto m = client().Get("/metrics", auth(kViewer));
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("storegate_build_info{version=\""), std::string::npos);
  EXPECT_NE(m->body.find("storegate_config_version"), std::string::npos);
}

TEST_F(AdminApi, OpenHealthProbesAskThePluginsAtMostOnceASecond) {
  start();
  // The counter fixture counts its health() calls; each read here adds one.
  const auto asked = [&] {
    const json p = call("GET", "/v1/plugins/count", kViewer).second;
    return p["metrics"].value("health_calls", 0.0);
  };
  const double before = asked();
  const auto began = std::chrono::steady_clock::now();
  constexpr int kProbes = 60;
  for (int i = 0; i < kProbes; ++i) ASSERT_EQ(call("GET", "/v1/health", nullptr).first, 200);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const double by_probes = asked() - before - 1;
  EXPECT_LE(by_probes, std::ceil(seconds) + 1)
      << kProbes << " unauthenticated probes in " << seconds << " s";
  // A token holder's answer is fresh: every call asks.
  const double fresh_before = asked();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(call("GET", "/v1/health", kViewer).first, 200);
  EXPECT_EQ(asked() - fresh_before - 1, 5);
}

}  // namespace storegate

namespace storegate {

TEST_F(AdminApi, TokensAddedAndRevokedWithStoregatectlTakeEffectOnSighup) {
  start();
  const auto tokens = (dir_ / "tokens").string();
  const auto [add_code, made] = test::runProgram(
      test::storegatectlPath(), {"token", "add", "tablet-3", "--role", "viewer", "--file", tokens});
  ASSERT_EQ(add_code, 0) << made;
  const std::string token = made.substr(0, made.find('\n'));
  ASSERT_EQ(token.rfind("sg_", 0), 0u) << made;
  EXPECT_EQ(test::readFile(dir_ / "tokens").find(token), std::string::npos)
      << "only the hash is kept";
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(
      test::waitUntil([&] { return call("GET", "/v1/status", token.c_str()).first == 200; }, 10s));
  const auto [list_code, listing] =
      test::runProgram(test::storegatectlPath(), {"token", "list", "--file", tokens});
  EXPECT_EQ(list_code, 0);
  EXPECT_NE(listing.find("tablet-3"), std::string::npos) << listing;
  EXPECT_EQ(listing.find(token.substr(3)), std::string::npos) << "never the token itself";

  const auto [revoke_code, revoked] =
      test::runProgram(test::storegatectlPath(), {"token", "revoke", "tablet-3", "--file", tokens});
  ASSERT_EQ(revoke_code, 0) << revoked;
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(
      test::waitUntil([&] { return call("GET", "/v1/status", token.c_str()).first == 401; }, 10s))
      << "a revoked token stops working without a restart";
  EXPECT_EQ(call("GET", "/v1/status", kViewer).first, 200) << "the others still work";
  EXPECT_EQ(
      test::runProgram(test::storegatectlPath(), {"token", "add", "bad name", "--file", tokens})
          .first,
      2);
  EXPECT_EQ(test::runProgram(test::storegatectlPath(),
                             {"token", "add", "x", "--role", "root", "--file", tokens})
                .first,
            2);
}

}  // namespace storegate

namespace storegate {

// Every change path at once while events flow: SIGHUPs, config patches, stops and starts of
// a second sink, hot swaps and uploads of the source, listings and metrics. Afterwards every
// event the source emitted reached the file sink exactly once and in order. 20 s here;
// STOREGATE_STRESS_SECONDS=60 (or more) by hand, and under ThreadSanitizer in CI.
TEST_F(AdminApi, EveryChangePathAtOnceWhileEventsFlowLosesAndRepeatsNothing) {
  start("", true, "  - {name: copy, plugin: file_sink, config: {path: copy.jsonl}}\n");
  const char* env = std::getenv("STOREGATE_STRESS_SECONDS");
  const auto length = std::chrono::seconds(env != nullptr ? std::atoi(env) : 20);
  for (int n = 1; n <= 2; ++n)
    std::filesystem::copy_file(test::fixtureDir() / "counter.so",
                               dir_ / ("counter-v" + std::to_string(n) + ".so"));
  const auto until = std::chrono::steady_clock::now() + length;
  std::atomic<int> server_errors{0}, swaps{0}, changes{0};
  const auto record = [&](int status) {
    if (status == 0 || status >= 500) ++server_errors;
    if (status == 200) ++changes;
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // the integrator's SIGHUPs
    while (std::chrono::steady_clock::now() < until) {
      daemon_->signal(SIGHUP);
      std::this_thread::sleep_for(300ms);
    }
  });
  threads.emplace_back([&] {  // hot swaps and uploads of the source
    for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
      const auto lib = dir_ / ("counter-v" + std::to_string(1 + i % 2) + ".so");
      const auto [s, r] =
          i % 3 == 2 ? std::pair<int, json>{client()
                                                .Post("/v1/plugins/count/upload", auth(kAdmin),
                                                      test::readFile(lib) + std::to_string(i),
                                                      "application/octet-stream")
                                                ->status,
                                            json()}
                     : call("POST", "/v1/plugins/count/swap", kAdmin,
                            json{{"library", lib.string()}}.dump());
      record(s);
      if (s == 200) ++swaps;
      std::this_thread::sleep_for(200ms);
    }
  });
  threads.emplace_back([&] {  // an operator's patches and stops of the second sink
    for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
      record(
          call("PUT", "/v1/plugins/copy/config", kOperator,
               R"({"config": {"max_files": )" + std::to_string(1 + i % 9) + R"(}, "merge": true})")
              .first);
      const int s =
          call("POST", i % 2 ? "/v1/plugins/copy/start" : "/v1/plugins/copy/stop", kOperator).first;
      if (s != 409) record(s);
      std::this_thread::sleep_for(100ms);
    }
  });
  threads.emplace_back([&] {  // dashboards reading all along
    while (std::chrono::steady_clock::now() < until) {
      record(call("GET", "/v1/status", kViewer).first);
      record(call("GET", "/metrics", kViewer).first);
      record(call("GET", "/v1/plugins", kViewer).first);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(server_errors.load(), 0);
  EXPECT_GT(swaps.load(), 5);
  ASSERT_TRUE(daemon_->running()) << daemon_->output();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(30s), 0) << daemon_->output();
  uint64_t expected = 1;
  for (const auto& line : test::readLines(dir_ / "events.jsonl")) {
    const json e = json::parse(line);
    if (e["type"] != "test.counter") continue;
    ASSERT_EQ(e["data"]["seq"].get<uint64_t>(), expected) << "lost, repeated or reordered";
    ++expected;
  }
  EXPECT_GT(expected, 200u);
}

TEST_F(AdminApi, ARefusedBodyIsNeverReadAsARequestAndNoBodyIsReadBeforeTheToken) {
  start();
  const std::string hidden = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
  // Too large: refused before reading, and the connection closed, so the bytes that follow
  // are never a request of their own.
  {
    test::RawConnection c(port_);
    ASSERT_TRUE(c.send("POST /v1/config/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       std::string(kOperator) + "\r\nContent-Length: 99999\r\n\r\n" + hidden));
    const std::string answer = c.readFor(3s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413 Request Entity Too Large\r\n", 0), 0u) << answer;
    EXPECT_EQ(answer.find("200 OK"), std::string::npos) << "the hidden request ran: " << answer;
  }
  // No token: refused before the body is read.
  {
    test::RawConnection c(port_);
    ASSERT_TRUE(c.send("POST /v1/config/validate HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                       std::to_string(hidden.size()) + "\r\n\r\n" + hidden));
    const std::string answer = c.readFor(3s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << answer;
    EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;
  }
  // A token whose role the route refuses: 403 before the body (an upload announced, never
  // sent), so a viewer cannot make the daemon wait for or hold an upload's memory.
  {
    test::RawConnection c(port_);
    ASSERT_TRUE(
        c.send("POST /v1/plugins/count/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
               std::string(kViewer) + "\r\nContent-Length: 3000000\r\n\r\n"));
    const std::string answer = c.readFor(1500ms);
    EXPECT_EQ(answer.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << answer;
    EXPECT_TRUE(c.closedWithin(1s)) << "the unread body must not stay on the connection";
  }
  // Two lengths: refused before any handler.
  {
    test::RawConnection c(port_);
    ASSERT_TRUE(
        c.send("POST /v1/config/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
               "Content-Length: 40\r\n\r\n{}"));
    EXPECT_EQ(c.readFor(3s).rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  }
  // A header name that is not a token (a space before the colon), and a control character
  // inside a value: both ways a proxy and the gateway could read one request differently.
  for (const std::string& bad :
       {std::string("Content-Length : 2\r\n"), std::string("X-Note: a\x01b\r\n"),
        std::string("X-Note: a\x7f\r\n"), std::string("X(y): 1\r\n")}) {
    test::RawConnection c(port_);
    ASSERT_TRUE(c.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n" + bad + "\r\n"));
    const std::string answer = c.readFor(3s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << bad << answer;
  }
  {
    test::RawConnection c(port_);  // a tab inside a value is allowed
    ASSERT_TRUE(c.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Note: a\tb\r\n\r\n"));
    EXPECT_EQ(c.readFor(3s).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  }
  // Six uploads announcing 64 MiB without a token allocate nothing.
  const auto rssKb = [&] {
    const std::string st = test::readFile("/proc/" + std::to_string(daemon_->pid()) + "/status");
    return std::stol(st.substr(st.find("VmRSS:") + 6));
  };
  const long before = rssKb();
  std::vector<std::unique_ptr<test::RawConnection>> uploads;
  for (int i = 0; i < 6; ++i) {
    uploads.push_back(std::make_unique<test::RawConnection>(port_));
    ASSERT_TRUE(uploads.back()->send(
        "POST /v1/plugins/count/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n" +
        std::string(64 * 1024, 'z')));
  }
  for (auto& u : uploads) EXPECT_EQ(u->readFor(3s).rfind("HTTP/1.1 401 ", 0), 0u);
  EXPECT_LT(rssKb() - before, 20 * 1024) << "kB grown by unauthenticated uploads";
  EXPECT_TRUE(daemon_->running());
}

TEST_F(AdminApi, BothListenersServeWhileSlowClientsAndFloodsHoldConnections) {
  const int pos_port = test::freeLoopbackPort();
  start("", true,
        "  - {name: till, plugin: pos_webhook, config: {listen: \"127.0.0.1:" +
            std::to_string(pos_port) +
            "\", secret: till-secret-0123456789, quarantine_dir: quarantine}}\n");
  ASSERT_TRUE(test::waitUntil([&] { return test::portAccepts(pos_port); }, 10s));
  test::SlowClients slow_admin(port_, 50, 1s, "GET /v1/status HTTP/1.1\r\nHost: x\r\n");
  test::SlowClients slow_pos(pos_port, 50, 1s, "POST /v1/receipts HTTP/1.1\r\nHost: x\r\n");
  test::ConnectionFlood flood_admin(port_, 10'000, 300);
  test::ConnectionFlood flood_pos(pos_port, 10'000, 300);
  ASSERT_TRUE(test::waitUntil(
      [&] { return slow_admin.connected() >= 50 && slow_pos.connected() >= 50; }, 10s));

  // Probes, retried as a POS or a monitor would after a refused connection (every client of
  // this test shares 127.0.0.1 with the attacker), for as long as the floods last (≤ 40 s).
  const auto retried = [](const std::function<bool()>& once) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
      if (once()) return true;
    }
    return false;
  };
  int health_ok = 0, receipts_ok = 0, probes = 0;
  const auto until = std::chrono::steady_clock::now() + 40s;
  while ((probes < 30 || flood_admin.made() < 10'000 || flood_pos.made() < 10'000) &&
         std::chrono::steady_clock::now() < until) {
    ++probes;
    health_ok += retried([&] {
      auto r = client().Get("/v1/health");
      return r && r->status == 200;
    });
    receipts_ok += retried([&] {
      httplib::Client c("127.0.0.1", pos_port);
      c.set_connection_timeout(2);
      c.set_read_timeout(5);
      auto r = c.Post(
          "/v1/receipts", {{"Authorization", "Bearer till-secret-0123456789"}},
          R"({"receipt_no":"R)" + std::to_string(probes) +
              R"(","till":"1","time":"2026-12-01T10:00:00Z","items":[{"sku":"A","quantity":1,"unit_price":2}],"total":2})",
          "application/json");
      return r && r->status == 200;
    });
  }
  const int flooded = flood_admin.made() + flood_pos.made();
  flood_admin.stop();
  flood_pos.stop();
  slow_admin.stop();
  slow_pos.stop();
  EXPECT_GE(probes, 30);
  EXPECT_EQ(health_ok, probes);
  EXPECT_EQ(receipts_ok, probes);
  EXPECT_EQ(flooded, 20'000) << "the floods did not finish in 40 s";
  EXPECT_TRUE(daemon_->running());
  // The listener says what it closed.
  auto metrics = client().Get("/metrics", auth(kViewer));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("storegate_admin_connections_closed_total{reason=\"shed\"}"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find("storegate_admin_connections_closed_total{reason=\"shed\"} 0\n"),
            std::string::npos)
      << "slow clients were never shed";
}

}  // namespace storegate

namespace storegate {

TEST_F(AdminApi, TheConfigIsAnsweredWithItsSecretsMaskedUnlessAnAdminOnTheRouterAsks) {
  start("", true,
        "  - {name: till, plugin: pos_webhook, config: {listen: \"127.0.0.1:" +
            std::to_string(test::freeLoopbackPort()) +
            "\", secret: till-secret-0123456789, quarantine_dir: quarantine}}\n");
  const auto [status, masked] = call("GET", "/v1/config", kAdmin);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(masked["yaml"].get<std::string>().find("till-secret-0123456789"), std::string::npos)
      << masked["yaml"];
  EXPECT_NE(masked["yaml"].get<std::string>().find("secret: ***"), std::string::npos);
  EXPECT_EQ(masked["masked"], true);
  const auto [shown, revealed] = call("GET", "/v1/config?reveal=true", kAdmin);
  ASSERT_EQ(shown, 200);
  EXPECT_NE(revealed["yaml"].get<std::string>().find("till-secret-0123456789"), std::string::npos);
}

}  // namespace storegate
