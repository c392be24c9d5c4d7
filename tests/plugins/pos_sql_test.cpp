// pos_sql against a real SQLite database, through the real host and RocksDB buffer.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using Poco::Data::Keywords::now;

class PosSqlTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path db_ = dir_ / "pos.sqlite";
  std::unique_ptr<test::PluginRig> rig_;
  RocksBuffer* buffer_ = nullptr;     // rig_'s, for brevity
  PluginManager* manager_ = nullptr;  // rig_'s
  int next_id_ = 1;

  void SetUp() override {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s("SQLite", db_.string());
    s << "CREATE TABLE sales (id INTEGER PRIMARY KEY, receipt_no TEXT, till TEXT, time TEXT, "
         "cashier TEXT, sku TEXT, quantity TEXT, unit_price REAL, discount REAL, total REAL, "
         "payment TEXT, member_code TEXT)",
        now;
    rig_ = std::make_unique<test::PluginRig>(dir_.path(),
                                             std::vector<std::filesystem::path>{test::pluginDir()},
                                             test::testBufferOptions(Durability::None));
    buffer_ = rig_->buffer.get();
    manager_ = rig_->manager.get();
  }
  void TearDown() override { rig_.reset(); }

  // Inserts one receipt of `items` line items in one transaction, as a POS would.
  void sale(const std::string& no, int items, const std::string& quantity = "1") {
    Poco::Data::Session s("SQLite", db_.string());
    s.begin();
    for (int i = 0; i < items; ++i) {
      s << "INSERT INTO sales VALUES (" + std::to_string(next_id_++) + ", '" + no + "', '4', " +
               "'2026-11-23T14:00:00Z', 'c9', 'SKU" + std::to_string(i) + "', '" + quantity +
               "', 2.0, 0, " + std::to_string(2.0 * items) + ", 'card', NULL)",
          now;
    }
    s.commit();
  }

  Status start(int batch = 500) {
    InstanceSpec spec;
    spec.name = "pos_db";
    spec.plugin = "pos_sql";
    spec.path = "plugins[0]";
    spec.config = {{"connection", db_.string()},
                   {"table", "sales"},
                   {"poll_interval", "20ms"},
                   {"batch", batch},
                   {"quarantine_dir", (dir_ / "quarantine").string()}};
    return manager_->add(spec);
  }

  std::vector<std::string> receiptNumbers() {
    std::vector<std::string> out;
    for (const Event& e : buffer_->readAfter(0, 10'000, 1 << 30)) {
      out.push_back(nlohmann::json::parse(e.data)["receipt_no"].get<std::string>());
    }
    return out;
  }
};

}  // namespace

TEST_F(PosSqlTest, PollsNewReceiptsInOrderAndNeverSplitsOneAcrossBatches) {
  sale("R1", 3);
  sale("R2", 2);
  sale("R3", 3);
  ASSERT_TRUE(start(/*batch=*/4).ok());  // R1 fits, R2 would be cut after its first row
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 3; }))
      << receiptNumbers().size();
  EXPECT_EQ(receiptNumbers(), (std::vector<std::string>{"R1", "R2", "R3"}));
  const auto first = nlohmann::json::parse(buffer_->readAfter(0, 1, 1 << 20)[0].data);
  EXPECT_EQ(first["items"].size(), 3u);
  EXPECT_EQ(first["total"], 6.0);
  sale("R4", 1);  // arrives later
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 4; }));
}

TEST_F(PosSqlTest, ARestartResumesAfterTheLastRowWithoutReEmitting) {
  sale("R1", 1);
  sale("R2", 1);
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 2; }));
  ASSERT_TRUE(manager_->remove("pos_db").ok());
  sale("R3", 2);  // while the gateway was down
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(receiptNumbers(), (std::vector<std::string>{"R1", "R2", "R3"}));
  EXPECT_EQ(buffer_->stats().dedup_hits, 0u) << "resumed from its cursor, not from the start";
  EXPECT_EQ(buffer_->get("pos_db", "cursor"), "4");
}

TEST_F(PosSqlTest, ABadReceiptIsQuarantinedWithItsReasonAndTheRestFlows) {
  sale("R1", 1);
  sale("R2", 2, "many");
  sale("R3", 1);
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 2; }));
  EXPECT_EQ(receiptNumbers(), (std::vector<std::string>{"R1", "R3"}));
  // The quarantine is written right after the good receipts are emitted.
  ASSERT_TRUE(test::waitUntil(
      [&] { return std::filesystem::exists(dir_ / "quarantine" / "pos_db-1-4.rejected.reason"); }));
  ASSERT_TRUE(test::waitUntil([&] { return buffer_->get("pos_db", "cursor") == "4"; }));
  const std::string reason = test::readFile(dir_ / "quarantine" / "pos_db-1-4.rejected.reason");
  EXPECT_NE(reason.find("receipt R2: id 2: quantity, unit_price and discount must be numbers"),
            std::string::npos)
      << reason;
  EXPECT_NE(
      test::readFile(dir_ / "quarantine" / "pos_db-1-4.rejected").find("\"quantity\":\"many\""),
      std::string::npos);
}

TEST_F(PosSqlTest, ATableMissingAnEssentialColumnDegradesHealthNamingIt) {
  {
    Poco::Data::Session s("SQLite", db_.string());
    s << "CREATE TABLE thin (id INTEGER PRIMARY KEY, receipt_no TEXT, time TEXT, sku TEXT, "
         "quantity REAL, total REAL)",
        now;
  }
  InstanceSpec spec;
  spec.name = "pos_db";
  spec.plugin = "pos_sql";
  spec.path = "plugins[0]";
  spec.config = {{"connection", db_.string()},
                 {"table", "thin"},
                 {"poll_interval", "20ms"},
                 {"quarantine_dir", (dir_ / "q").string()}};
  ASSERT_TRUE(manager_->add(spec).ok());
  ASSERT_TRUE(test::waitUntil([&] { return manager_->get("pos_db")->health == "degraded"; }));
  EXPECT_NE(manager_->get("pos_db")->last_error.find(
                "no column 'unit_price' for receipt field 'unit_price'"),
            std::string::npos)
      << manager_->get("pos_db")->last_error;
}

TEST_F(PosSqlTest, AnUnsafeIdentifierIsRefusedBeforeAnyQuery) {
  InstanceSpec spec;
  spec.name = "pos_db";
  spec.plugin = "pos_sql";
  spec.path = "plugins[0]";
  spec.config = {{"connection", db_.string()},
                 {"table", "sales; DROP TABLE sales"},
                 {"quarantine_dir", (dir_ / "q").string()}};
  const Status s = manager_->add(spec);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("is not a plain SQL identifier"), std::string::npos) << s.message;
}

TEST_F(PosSqlTest, AnUnreachableDatabaseDegradesHealthAndRecovers) {
  db_ = dir_ / "missing" / "pos.sqlite";  // directory does not exist yet: open fails
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(test::waitUntil([&] { return manager_->get("pos_db")->health == "degraded"; }));
  std::filesystem::create_directories(db_.parent_path());
  {
    Poco::Data::Session s("SQLite", db_.string());
    s << "CREATE TABLE sales (id INTEGER PRIMARY KEY, receipt_no TEXT, till TEXT, time TEXT, "
         "cashier TEXT, "
         "sku TEXT, quantity TEXT, unit_price REAL, discount REAL, total REAL, payment TEXT, "
         "member_code TEXT)",
        now;
  }
  sale("R1", 1);
  ASSERT_TRUE(test::waitUntil([&] { return receiptNumbers().size() == 1; }));
  EXPECT_TRUE(test::waitUntil([&] { return manager_->get("pos_db")->health == "ok"; }));
}

}  // namespace storegate
