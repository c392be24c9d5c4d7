// pos_file's CSV reader and receipt mapping, compiled in from the plugin's sources.
#include <gtest/gtest.h>

#include <filesystem>

#include "csv.hpp"
#include "pos_source.hpp"
#include "receipt.hpp"
#include "support/test_support.hpp"

namespace storegate::plugins::pos {

TEST(PosCsv, ReadsQuotesEmbeddedNewlinesCrlfAndBom) {
  const auto rows =
      parseCsv("\xEF\xBB\xBFsku,name\r\n123,\"Milk, 1 L\"\r\n456,\"say \"\"hi\"\"\nthere\"\n\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"sku", "name"}));
  EXPECT_EQ(rows[1].fields[1], "Milk, 1 L");
  EXPECT_EQ(rows[2].fields[1], "say \"hi\"\nthere");
  EXPECT_EQ(rows[2].line, 3u);
}

TEST(PosCsv, ReportsAnUnterminatedQuote) {
  const auto rows = parseCsv("a,b\n1,\"open\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].error, "unterminated quoted field");
}

TEST(PosReceipts, GroupsAdjacentRowsIntoReceiptsAndRejectsBadOnesWhole) {
  const std::string csv =
      "receipt_no,till,time,cashier,sku,quantity,unit_price,discount,total,payment,member_code\n"
      "1001,3,2026-11-23T10:00:00Z,c7,A,2,1.50,0,5.00,card,M42\n"
      "1001,3,2026-11-23T10:00:00Z,c7,B,1,2.00,0,5.00,card,M42\n"
      "1002,3,2026-11-23T10:05:00Z,c7,A,x,1.50,0,1.50,cash,\n"
      "1003,3,2026-11-23T10:07:00Z,c7,C,1,9.99,0,12.00,cash,\n"
      "1004,3,23/11/2026 10:09,c7,C,1,9.99,0,9.99,cash,\n"
      "1005,3,2026-11-23 10:11:00,c7,D,3,1.00,0.50,2.50,card,\n";
  const ParseResult r = parseCsvReceipts(csv, ParseOptions{});
  ASSERT_TRUE(r.fatal.empty()) << r.fatal;
  ASSERT_EQ(r.receipts.size(), 2u);
  EXPECT_EQ(r.receipts[0].receipt_no, "1001");
  ASSERT_EQ(r.receipts[0].items.size(), 2u);
  EXPECT_EQ(r.receipts[0].member_code, "M42");
  EXPECT_EQ(r.receipts[0].dedupKey(), "3/1001");
  EXPECT_EQ(r.receipts[1].receipt_no, "1005");
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_NE(r.rejected[0].reason.find("must be numbers"), std::string::npos)
      << r.rejected[0].reason;
  EXPECT_NE(r.rejected[1].reason.find("does not match the line items"), std::string::npos);
  EXPECT_NE(r.rejected[2].reason.find("is not ISO 8601"), std::string::npos);
  EXPECT_EQ(r.rejected[0].where, "receipt 1002");
  EXPECT_NE(r.rejected[0].reason.find("line 4: "), std::string::npos) << r.rejected[0].reason;
}

TEST(PosReceipts, MapsOtherColumnNamesAndATillFromConfig) {
  ParseOptions o;
  o.columns["receipt_no"] = "Bon";
  o.columns["sku"] = "Artikel";
  o.columns["quantity"] = "Menge";
  o.columns["unit_price"] = "Preis";
  o.columns["total"] = "Summe";
  o.columns["time"] = "Zeit";
  o.default_till = "7";
  o.delimiter = ';';
  const auto r = parseCsvReceipts(
      "Bon;Zeit;Artikel;Menge;Preis;Summe\n9;2026-11-23T09:00:00Z;X;1;3.5;3.5\n", o);
  ASSERT_EQ(r.receipts.size(), 1u) << (r.rejected.empty() ? r.fatal : r.rejected[0].reason);
  EXPECT_EQ(r.receipts[0].till, "7");
  EXPECT_EQ(r.receipts[0].items[0].unit_price, 3.5);
}

TEST(PosReceipts, AMissingRequiredColumnIsFatalAndSaysWhichAndHow) {
  const auto r =
      parseCsvReceipts("receipt_no,time,sku,quantity,total\n1,2026-11-23T10:00:00Z,A,1,1\n", {});
  EXPECT_EQ(r.fatal,
            "header has no column for 'unit_price' (expected 'unit_price'; map it with `columns`)");
}

TEST(PosReceipts, JsonDocumentsArraysAndJsonLines) {
  const std::string one =
      R"({"receipt_no":"5","till":"2","time":"2026-11-23T11:00:00Z","items":[{"sku":"A","quantity":1,"unit_price":2}],"total":2})";
  EXPECT_EQ(parseJsonReceipts(one, {}).receipts.size(), 1u);
  EXPECT_EQ(parseJsonReceipts("[" + one + "," + one + "]", {}).receipts.size(), 2u);
  const auto lines = parseJsonReceipts(one + "\n{broken\n" + one + "\n", {});
  EXPECT_EQ(lines.receipts.size(), 2u);
  ASSERT_EQ(lines.rejected.size(), 1u);
  EXPECT_EQ(lines.rejected[0].where, "line 2");
  EXPECT_FALSE(parseJsonReceipts("not json at all", {}).fatal.empty());
}

// An unclosed quote on the first line hides the rest from the whole body's depth count; the
// JSON Lines fallback must bound each line itself (a 200,000-deep line overflowed the stack
// in nlohmann's dump).
TEST(PosReceipts, ADeepLineAfterAnUnclosedQuoteIsRefusedNotParsed) {
  const std::string one =
      R"({"receipt_no":"5","till":"2","time":"2026-11-23T11:00:00Z","items":[{"sku":"A","quantity":1,"unit_price":2}],"total":2})";
  const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  const auto r = parseJsonReceipts("\"\n" + deep + "\n" + one + "\n", {});
  ASSERT_TRUE(r.fatal.empty()) << r.fatal;
  EXPECT_EQ(r.receipts.size(), 1u);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[1].where, "line 2");
  EXPECT_NE(r.rejected[1].reason.find("nests deeper than"), std::string::npos)
      << r.rejected[1].reason;
  EXPECT_LE(r.rejected[1].raw.size(), 257u) << "the quarantined copy is cut";
}

// A POS resending one bad receipt forever wrote two files per request without a bound.
TEST(PosQuarantine, TheFolderIsPrunedOldestFirstToItsBound) {
  test::TempDir dir;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (int i = 0; i < 10; ++i) {
    const auto f = dir / ("r" + std::to_string(i) + ".rejected");
    test::writeFile(f, std::string(1000, 'x'));
    std::filesystem::last_write_time(f, now - std::chrono::minutes(10 - i));
  }
  test::writeFile(dir / "keep.txt", std::string(5000, 'y'));  // not quarantine: untouched
  EXPECT_EQ(pruneQuarantine(dir.path(), 20'000), 0u) << "under the bound nothing goes";
  EXPECT_EQ(pruneQuarantine(dir.path(), 4'500), 6u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(std::filesystem::exists(dir / ("r" + std::to_string(i) + ".rejected")), i >= 6) << i;
  EXPECT_TRUE(std::filesystem::exists(dir / "keep.txt"));
}

}  // namespace storegate::plugins::pos
