// pos_file through the real plugin host into the real RocksDB buffer.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

constexpr const char* kHeader =
    "receipt_no,till,time,cashier,sku,quantity,unit_price,discount,total,payment,member_code\n";

std::string row(int no, const std::string& sku = "A", const std::string& qty = "1",
                double total = 2.0) {
  return std::to_string(no) + ",3,2026-11-23T10:00:00Z,c1," + sku + "," + qty + ",2.00,0," +
         std::to_string(total) + ",card,\n";
}

class PosFileTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path drop_ = dir_ / "drop";
  std::unique_ptr<test::PluginRig> rig_;
  RocksBuffer* buffer_ = nullptr;     // rig_'s, for brevity
  PluginManager* manager_ = nullptr;  // rig_'s

  void SetUp() override {
    std::filesystem::create_directories(drop_);
    rig_ = std::make_unique<test::PluginRig>(dir_.path(),
                                             std::vector<std::filesystem::path>{test::pluginDir()},
                                             test::testBufferOptions(Durability::None));
    buffer_ = rig_->buffer.get();
    manager_ = rig_->manager.get();
  }
  void TearDown() override { rig_.reset(); }

  Status start(nlohmann::json extra = nlohmann::json::object()) {
    InstanceSpec s;
    s.name = "pos";
    s.plugin = "pos_file";
    s.path = "plugins[0]";
    s.config = {{"dir", drop_.string()}, {"poll_interval", "20ms"}, {"settle_time", "0"}};
    s.config.update(extra);
    return manager_->add(s);
  }

  std::vector<Event> receipts() {
    std::vector<Event> out;
    for (auto& e : buffer_->readAfter(0, 10'000, 1 << 30)) {
      if (e.type == "store.pos.receipt") out.push_back(std::move(e));
    }
    return out;
  }
  double metric(const std::string& name) { return test::pluginMetric(*manager_, "pos", name); }
};

}  // namespace

TEST_F(PosFileTest, ADroppedCsvBecomesReceiptsAndMovesToDone) {
  test::writeFile(drop_ / "till3-0001.csv",
                  std::string(kHeader) +
                      "1001,3,2026-11-23T10:00:00Z,c7,A,2,1.50,0,5.00,card,M42\n"
                      "1001,3,2026-11-23T10:00:00Z,c7,B,1,2.00,0,5.00,card,M42\n" +
                      row(1002) + row(1003));
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(
      test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "till3-0001.csv"); }));
  const auto r = receipts();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].dedupkey, "3/1001");
  EXPECT_EQ(r[0].subject, "till-3");
  const auto j = nlohmann::json::parse(r[0].data);
  EXPECT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["member_code"], "M42");
  EXPECT_EQ(j["total"], 5.0);
  EXPECT_FALSE(std::filesystem::exists(drop_ / "till3-0001.csv"));
  EXPECT_EQ(metric("receipts_emitted"), 3);
}

TEST_F(PosFileTest, AFileStillBeingWrittenIsReadOnlyOnceItSettles) {
  ASSERT_TRUE(start({{"settle_time", "400ms"}}).ok());
  const auto path = drop_ / "export.csv";
  test::writeFile(path, std::string(kHeader) + row(1) + "2,3,2026-11-23T10:00");  // half a row
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  std::ofstream(path, std::ios::app) << ":00Z,c1,A,1,2.00,0,2.00,card,\n" << row(3);
  ASSERT_TRUE(
      test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "export.csv"); }));
  EXPECT_EQ(receipts().size(), 3u) << "the half-written row must not have been read";
  EXPECT_FALSE(std::filesystem::exists(drop_ / "quarantine" / "export.csv.rejected"));
}

TEST_F(PosFileTest, BadRecordsAreQuarantinedWithReasonsAndTheRestIsKept) {
  test::writeFile(drop_ / "mixed.csv", std::string(kHeader) + row(1) + row(2, "A", "two") + row(3) +
                                           row(4, "A", "1", 99.0));
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(
      test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "mixed.csv"); }));
  EXPECT_EQ(receipts().size(), 2u);
  const std::string rejected = test::readFile(drop_ / "quarantine" / "mixed.csv.rejected");
  EXPECT_NE(rejected.find("2,3,2026-11-23T10:00:00Z,c1,A,two"), std::string::npos) << rejected;
  const std::string reasons = test::readFile(drop_ / "quarantine" / "mixed.csv.rejected.reason");
  EXPECT_NE(reasons.find("receipt 2: line 3: quantity, unit_price and discount must be numbers"),
            std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("receipt 4: total 99 does not match the line items (2)"),
            std::string::npos)
      << reasons;
  EXPECT_EQ(metric("receipts_quarantined"), 2);
}

TEST_F(PosFileTest, AnUnreadableFileIsQuarantinedWholeWithItsReason) {
  test::writeFile(drop_ / "wrong.csv", "date,amount\n2026-11-23,5\n");
  ASSERT_TRUE(start().ok());
  ASSERT_TRUE(test::waitUntil(
      [&] { return std::filesystem::exists(drop_ / "quarantine" / "wrong.csv.reason"); }));
  EXPECT_NE(test::readFile(drop_ / "quarantine" / "wrong.csv.reason")
                .find("header has no column for 'receipt_no'"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(drop_ / "quarantine" / "wrong.csv"));
  EXPECT_TRUE(receipts().empty());
  EXPECT_EQ(metric("files_quarantined"), 1);
}

TEST_F(PosFileTest, ARestartInTheMiddleOfAFileResumesAfterTheLastReceiptEmitted) {
  const auto path = drop_ / "big.csv";
  test::writeFile(path, std::string(kHeader) + row(1) + row(2) + row(3) + row(4));
  // A previous run emitted the first two receipts of this very file, then died.
  const auto identity =
      "big.csv|" + std::to_string(std::filesystem::file_size(path)) + "|" +
      std::to_string(std::filesystem::last_write_time(path).time_since_epoch().count());
  ASSERT_TRUE(
      buffer_->put("pos", "progress", nlohmann::json({{"file", identity}, {"next", 2}}).dump())
          .ok());
  ASSERT_TRUE(start({{"batch", 1}}).ok());
  ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "big.csv"); }));
  const auto r = receipts();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].dedupkey, "3/3");
  EXPECT_EQ(r[1].dedupkey, "3/4");
  EXPECT_FALSE(buffer_->get("pos", "progress")) << "progress is cleared once the file is done";
}

TEST_F(PosFileTest, AReceiptReSentInAnotherFileIsStoredOnce) {
  ASSERT_TRUE(start().ok());
  test::writeFile(drop_ / "a.csv", std::string(kHeader) + row(1) + row(2));
  ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "a.csv"); }));
  test::writeFile(drop_ / "b.csv",
                  std::string(kHeader) + row(2) + row(3));  // the POS re-exported 2
  ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(drop_ / "done" / "b.csv"); }));
  EXPECT_EQ(receipts().size(), 3u);
  EXPECT_EQ(buffer_->stats().dedup_hits, 1u);
}

TEST_F(PosFileTest, KeepModeLeavesFilesAndReadsEachOnce) {
  test::writeFile(
      drop_ / "kept.json",
      R"([{"receipt_no":"7","till":"1","time":"2026-11-23T12:00:00Z","items":[{"sku":"Z","quantity":1,"unit_price":4}],"total":4}])");
  ASSERT_TRUE(start({{"after", "keep"}}).ok());
  ASSERT_TRUE(test::waitUntil([&] { return receipts().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // several more scans
  EXPECT_EQ(receipts().size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(drop_ / "kept.json"));
  EXPECT_EQ(metric("files_done"), 1);
}

TEST_F(PosFileTest, AMissingDropFolderFailsTheStartWithWhatToDo) {
  std::filesystem::remove_all(drop_);
  const Status s = start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("does not exist (create it, or fix `dir`)"), std::string::npos)
      << s.message;
}

}  // namespace storegate
