// pos_webhook over real HTTP on 127.0.0.1, into the real RocksDB buffer.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "support/plugin_rig.hpp"
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

  void start(const std::string& auth = "token") {
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

  size_t stored() { return buffer_->readAfter(0, 1000, 1 << 30).size(); }
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

}  // namespace storegate
