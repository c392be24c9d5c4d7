// pos_webhook over real HTTP on 127.0.0.1, into the real RocksDB buffer.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "support/plugin_rig.hpp"
#include "support/raw_http.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

constexpr const char* kSecret = "till-secret-0123456789";

std::string receipt(const std::string& no, double total = 4.0) {
  return R"({"receipt_no":")" + no +
         R"(","till":"2","time":"2026-11-23T15:00:00Z","items":[{"sku":"A","quantity":2,"unit_price":2}],"total":)" +
         std::to_string(total) + R"(,"payment":"card"})";
}

std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", out[i]);
    hex += b;
  }
  return hex;
}

class PosWebhookTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::PluginRig> rig_;
  RocksBuffer* buffer_ = nullptr;     // rig_'s, for brevity
  PluginManager* manager_ = nullptr;  // rig_'s
  int port_ = 0;

  void SetUp() override {
    rig_ = std::make_unique<test::PluginRig>(
        dir_.path(), std::vector<std::filesystem::path>{test::pluginDir()},
        test::testBufferOptions(Durability::Sync));  // 200 must mean: on disk
    buffer_ = rig_->buffer.get();
    manager_ = rig_->manager.get();
  }
  void TearDown() override { rig_.reset(); }

  void start(const std::string& auth = "token",
             const nlohmann::json& extra = nlohmann::json::object()) {
    port_ = test::freeLoopbackPort();
    InstanceSpec s;
    s.name = "pos_push";
    s.plugin = "pos_webhook";
    s.path = "plugins[0]";
    s.config = {{"listen", "127.0.0.1:" + std::to_string(port_)},
                {"secret", kSecret},
                {"auth", auth},
                {"max_body", "4KiB"},
                {"quarantine_dir", (dir_ / "quarantine").string()},
                {"timeout", "2s"}};
    for (const auto& [k, v] : extra.items()) s.config[k] = v;
    const Status st = manager_->add(s);
    ASSERT_TRUE(st.ok()) << st.message;
  }

  httplib::Result post(const std::string& body,
                       httplib::Headers headers = {
                           {"Authorization", std::string("Bearer ") + kSecret}}) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_connection_timeout(2);
    cli.set_read_timeout(5);
    return cli.Post("/v1/receipts", headers, body, "application/json");
  }

  size_t stored() { return buffer_->readAfter(0, 100000, 1 << 30).size(); }
};

}  // namespace

TEST_F(PosWebhookTest, AValidReceiptIsAnsweredOnlyOnceStored) {
  start();
  auto res = post(receipt("W1"));
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["accepted"], 1);
  EXPECT_EQ(stored(), 1u) << "stored before the answer";
  const auto e = buffer_->readAfter(0, 1, 1 << 20)[0];
  EXPECT_EQ(e.type, "store.pos.receipt");
  EXPECT_EQ(e.dedupkey, "2/W1");
}

TEST_F(PosWebhookTest, AReSentReceiptIsAcknowledgedAndStoredOnce) {
  start();
  ASSERT_EQ(post(receipt("W1"))->status, 200);
  ASSERT_EQ(post(receipt("W1"))->status, 200);
  EXPECT_EQ(stored(), 1u);
  EXPECT_EQ(buffer_->stats().dedup_hits, 1u);
}

TEST_F(PosWebhookTest, MalformedOversizedAndUnauthorizedRequestsGetTheirReason) {
  start();
  auto bad = post("{\"receipt_no\": ");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad->body)["error"], "invalid_json");

  auto big = post("[" + receipt("B") + std::string(5000, ' ') + "]");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("exceeds max_body 4096"), std::string::npos) << big->body;

  auto nope = post(receipt("X"), {{"Authorization", "Bearer wrong-secret-000000000"}});
  ASSERT_TRUE(nope);
  EXPECT_EQ(nope->status, 401);

  httplib::Client cli("127.0.0.1", port_);
  auto get = cli.Get("/v1/receipts");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(stored(), 0u);
}

TEST_F(PosWebhookTest, InvalidReceiptsAreQuarantinedAndTheValidOnesInTheSameRequestKept) {
  start();
  auto res = post("[" + receipt("G1") + "," + receipt("B1", 99.0) + "]");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  const auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_NE(j["rejected"][0]["reason"].get<std::string>().find("does not match the line items"),
            std::string::npos);
  EXPECT_EQ(stored(), 1u);
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "quarantine"))
    files += f.path().extension() == ".reason";
  EXPECT_EQ(files, 1u);
}

TEST_F(PosWebhookTest, HmacSignaturesAreChecked) {
  start("hmac");
  const std::string body = receipt("H1");
  auto ok = post(body, {{"X-Signature", "sha256=" + hmacHex(kSecret, body)}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto forged = post(receipt("H2"), {{"X-Signature", "sha256=" + hmacHex(kSecret, body)}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  EXPECT_EQ(stored(), 1u);
}

TEST_F(PosWebhookTest, OneKeepAliveConnectionServesManyRequests) {
  start();
  httplib::Client cli("127.0.0.1", port_);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);       // the client's own Nagle would add ~40 ms per request
  for (int i = 0; i < 150; ++i) {  // past any per-connection request cap
    auto res = cli.Post("/v1/receipts", {{"Authorization", std::string("Bearer ") + kSecret}},
                        receipt("K" + std::to_string(i)), "application/json");
    ASSERT_TRUE(res) << "request " << i << ": " << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << "request " << i;
  }
  EXPECT_EQ(stored(), 150u);
}

TEST_F(PosWebhookTest, StopEndsEveryConnectionAndFreesThePort) {
  start();
  ASSERT_EQ(post(receipt("S1"))->status, 200);
  ASSERT_TRUE(manager_->remove("pos_push").ok());
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(1);
  EXPECT_FALSE(cli.Post("/v1/receipts", receipt("S2"), "application/json"))
      << "nobody listens after stop";
}

TEST_F(PosWebhookTest, ABodyNestedTooDeepIsRefusedWithTheLimit) {
  // 100,000 levels in 200 KB once overflowed the stack (a copy of the parsed document).
  start("token", {{"max_body", "1MiB"}});
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto res = post(deep);
  ASSERT_TRUE(res) << "the plugin must answer, not crash";
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("deeper than 64"), std::string::npos) << res->body;
  // Sixty levels inside a receipt are fine (an object quarantined for its shape, not refused).
  const std::string nested = "[" + std::string(60, '[') + std::string(60, ']') + "]";
  auto shallow = post(nested);
  ASSERT_TRUE(shallow);
  EXPECT_EQ(shallow->status, 422) << shallow->body;
  ASSERT_EQ(post(receipt("D1"))->status, 200);
}

TEST_F(PosWebhookTest, ARefusedBodyIsNeverReadAsTheNextRequest) {
  start();
  // 413 before reading: the bytes that follow are the body, never a request of their own.
  const std::string hidden = "GET /v1/receipts HTTP/1.1\r\nHost: x\r\n\r\n";
  test::RawConnection c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     std::string(kSecret) + "\r\nContent-Length: 99999\r\n\r\n" + hidden));
  const std::string answer = c.readFor(std::chrono::seconds(3));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 Request Entity Too Large\r\n", 0), 0u) << answer;
  EXPECT_EQ(answer.find("405"), std::string::npos) << "the hidden request was answered: " << answer;
  EXPECT_NE(answer.find("Connection: Close"), std::string::npos) << answer;

  // A wrong token is refused before the body is read, and the connection closed.
  test::RawConnection u(port_);
  ASSERT_TRUE(
      u.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
             "Content-Length: " +
             std::to_string(hidden.size()) + "\r\n\r\n" + hidden));
  const std::string refused = u.readFor(std::chrono::seconds(3));
  EXPECT_EQ(refused.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << refused;
  EXPECT_EQ(refused.find("405"), std::string::npos) << refused;
  EXPECT_EQ(stored(), 0u);
}

TEST_F(PosWebhookTest, AmbiguousFramingIsRefusedAndStatusLinesCarryTheirReason) {
  start();
  const std::string auth = "Authorization: Bearer " + std::string(kSecret) + "\r\n";
  const std::string body = receipt("F1");
  const std::pair<std::string, std::string> cases[] = {
      {"Content-Length: " + std::to_string(body.size()) + "\r\nContent-Length: 5\r\n",
       "HTTP/1.1 400 Bad Request"},
      {"Content-Length: " + std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n",
       "HTTP/1.1 400 Bad Request"},
      {"Content-Length: +" + std::to_string(body.size()) + "\r\n", "HTTP/1.1 400 Bad Request"},
      {"Transfer-Encoding: chunked\r\n", "HTTP/1.1 411 Length Required"},
  };
  for (const auto& [headers, status] : cases) {
    test::RawConnection c(port_);
    ASSERT_TRUE(
        c.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\n" + auth + headers + "\r\n" + body));
    const std::string answer = c.readFor(std::chrono::seconds(3));
    EXPECT_EQ(answer.rfind(status + "\r\n", 0), 0u) << headers << " -> " << answer;
  }
  test::RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answer = c.readFor(std::chrono::milliseconds(500));
  EXPECT_EQ(answer.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << answer;
  EXPECT_EQ(stored(), 0u);
}

TEST_F(PosWebhookTest, ASlowHeadIsCutAtTheRequestDeadlineNotAtEachRead) {
  // A byte every 200 ms never trips the 2 s read timeout; the 1 s deadline for the whole head
  // closes the connection.
  start("token", {{"request_timeout", "1s"}});
  test::RawConnection c(port_);
  ASSERT_TRUE(c.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\n"));
  const auto began = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {  // at most 8 s
    closed = !c.send("X") || c.closedWithin(std::chrono::milliseconds(200));
  }
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(closed) << "a slow head held the connection for 8 s";
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(PosWebhookTest, OneAddressAtItsCapLosesItsOldestIdleConnection) {
  start("token", {{"max_connections", 4}, {"max_connections_per_address", 2}});
  test::RawConnection first(port_);
  ASSERT_TRUE(first.send("POST /v1/receipts HTTP/1.1\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  test::RawConnection second(port_);
  ASSERT_TRUE(second.send("POST /v1/receipts HTTP/1.1\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // A third connection from the same address is served; the oldest waiting one makes room.
  auto res = post(receipt("C1"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(first.closedWithin(std::chrono::seconds(1)));
  EXPECT_FALSE(second.closedWithin(std::chrono::milliseconds(100)));
}

TEST_F(PosWebhookTest, ReceiptsAreServedWhileSlowClientsAndAFloodHoldConnections) {
  start("token", {{"max_connections", 4}});
  test::SlowClients slow(port_, 50, std::chrono::milliseconds(1000),
                         "POST /v1/receipts HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  test::ConnectionFlood flood(port_, 10'000, 300);
  ASSERT_TRUE(test::waitUntil([&] { return slow.connected() >= 50; }, std::chrono::seconds(10)));
  // Probe for as long as the attack lasts: every one of 10,000 flood connections made, or 30 s.
  int answered = 0, probes = 0;
  std::string last_failure;
  std::vector<double> took_ms;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((probes < 30 || flood.made() < 10'000) && std::chrono::steady_clock::now() < until) {
    const auto began = std::chrono::steady_clock::now();
    ++probes;
    // A POS retries a refused connection after a pause; from the attacker's own address (all
    // of this test is 127.0.0.1) a new connection can be refused while the queue is full.
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
      auto res = post(receipt("L" + std::to_string(probes)));
      if (res && res->status == 200) {
        ++answered;
        break;
      }
      last_failure =
          res ? std::to_string(res->status) + " " + res->body : httplib::to_string(res.error());
    }
    took_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
            .count());
  }
  const int flooded = flood.made();
  flood.stop();
  slow.stop();
  std::sort(took_ms.begin(), took_ms.end());
  EXPECT_EQ(answered, probes) << "median " << took_ms[took_ms.size() / 2] << " ms; " << flooded
                              << " flood connections; last failure: " << last_failure;
  EXPECT_GE(probes, 30);
  EXPECT_EQ(flooded, 10'000) << "the flood did not finish in 30 s";
  EXPECT_EQ(stored(), static_cast<size_t>(answered));
}

}  // namespace storegate

namespace storegate {

TEST_F(PosWebhookTest, StopEndsIdleSlowAndUnreadConnectionsAtOnce) {
  start("token", {{"timeout", "30s"}, {"request_timeout", "30s"}});
  test::RawConnection idle(port_);  // a keep-alive connection between two requests
  ASSERT_TRUE(idle.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        std::string(kSecret) + "\r\nContent-Length: " +
                        std::to_string(receipt("I1").size()) + "\r\n\r\n" + receipt("I1")));
  ASSERT_NE(idle.readFor(std::chrono::milliseconds(500)).find("200 OK"), std::string::npos);
  test::RawConnection slow(port_);  // half a head
  ASSERT_TRUE(slow.send("POST /v1/receipts HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager_->remove("pos_push").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5))
      << "stop waited for the clients' 30 s timeouts";
  EXPECT_TRUE(idle.closedWithin(std::chrono::seconds(1)));
  EXPECT_TRUE(slow.closedWithin(std::chrono::seconds(1)));
}

}  // namespace storegate
