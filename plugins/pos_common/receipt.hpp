// The canonical store.pos.receipt and how POS exports map onto it: CSV (one row per line
// item, rows of one receipt adjacent, columns named by config) and JSON (a receipt
// object, an array of them, or one per line).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "csv.hpp"

namespace storegate::plugins::pos {

struct LineItem {
  std::string sku;
  double quantity = 0;
  double unit_price = 0;
  double discount = 0;
};

struct Receipt {
  std::string receipt_no;
  std::string till;
  std::string time;  // as the POS wrote it, ISO 8601 expected
  std::string cashier;
  std::vector<LineItem> items;
  double total = 0;
  std::string payment;
  std::string member_code;

  [[nodiscard]] std::string dedupKey() const { return till + "/" + receipt_no; }
  [[nodiscard]] nlohmann::json toJson() const;
};

// Canonical field → the CSV header naming it.
using ColumnMap = std::map<std::string, std::string>;
[[nodiscard]] ColumnMap defaultColumns();

// A record that could not become a receipt, and why.
struct Rejected {
  std::string where;  // "line 7" or "receipt 3"
  std::string reason;
  std::string raw;  // the offending input, for the quarantine file
};

struct ParseResult {
  std::vector<Receipt> receipts;
  std::vector<Rejected> rejected;
  std::string fatal;  // the whole file is unusable (no header, not JSON, ...)
};

struct ParseOptions {
  ColumnMap columns = defaultColumns();
  std::string default_till;
  bool check_total = true;  // total must equal Σ(quantity × unit_price − discount) ± 0.01
  char delimiter = ',';
};

// One line item row from any tabular source, its values keyed by receipt field name.
struct FieldRow {
  std::map<std::string, std::string> fields;
  std::string where;  // "line 5", "id 1017": used in reasons
  std::string raw;    // the row as written, for the quarantine file
  std::string error;  // the source already found it malformed
};

// Groups adjacent rows of one receipt (same receipt_no and till) into receipts; a receipt
// with any bad row is rejected whole, with the first reason.
[[nodiscard]] ParseResult groupRows(const std::vector<FieldRow>& rows, const ParseOptions& options);
[[nodiscard]] ParseResult parseCsvReceipts(std::string_view text, const ParseOptions& options);
[[nodiscard]] ParseResult parseJsonReceipts(std::string_view text, const ParseOptions& options);
// Why a receipt is not acceptable, or empty.
[[nodiscard]] std::string validate(const Receipt& r, const ParseOptions& options);

}  // namespace storegate::plugins::pos
