// Mapping CSV rows and JSON objects onto canonical receipts, and validating them.
#include "receipt.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <storegate/sdk.hpp>

namespace storegate::plugins::pos {

nlohmann::json Receipt::toJson() const {
  nlohmann::json items_json = nlohmann::json::array();
  for (const LineItem& i : items) {
    items_json.push_back({{"sku", i.sku},
                          {"quantity", i.quantity},
                          {"unit_price", i.unit_price},
                          {"discount", i.discount}});
  }
  nlohmann::json j = {{"receipt_no", receipt_no}, {"till", till},   {"time", time},
                      {"items", items_json},      {"total", total}, {"payment", payment}};
  if (!cashier.empty()) j["cashier"] = cashier;
  if (!member_code.empty()) j["member_code"] = member_code;
  return j;
}

ColumnMap defaultColumns() {
  return {{"receipt_no", "receipt_no"},
          {"till", "till"},
          {"time", "time"},
          {"cashier", "cashier"},
          {"sku", "sku"},
          {"quantity", "quantity"},
          {"unit_price", "unit_price"},
          {"discount", "discount"},
          {"total", "total"},
          {"payment", "payment"},
          {"member_code", "member_code"}};
}

namespace {

std::optional<double> number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool looksLikeIsoTime(const std::string& t) {
  // YYYY-MM-DD[T ]HH:MM[:SS...]: enough to catch swapped columns and locale formats.
  if (t.size() < 16) return false;
  for (size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u, 14u, 15u}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  return t[4] == '-' && t[7] == '-' && (t[10] == 'T' || t[10] == ' ') && t[13] == ':';
}

std::string joinRow(const std::vector<std::string>& fields, char d) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(d);
    const bool quote = fields[i].find_first_of(std::string("\"\n\r") + d) != std::string::npos;
    if (!quote) {
      out += fields[i];
      continue;
    }
    out.push_back('"');
    for (char c : fields[i]) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out;
}

}  // namespace

std::string validate(const Receipt& r, const ParseOptions& o) {
  if (r.receipt_no.empty()) return "receipt number is empty";
  if (r.till.empty()) return "till is empty (set the till column or the plugin's `till`)";
  if (!looksLikeIsoTime(r.time))
    return "time '" + r.time + "' is not ISO 8601 (YYYY-MM-DDTHH:MM:SS)";
  if (r.items.empty()) return "receipt has no line items";
  double sum = 0;
  for (const LineItem& i : r.items) {
    if (i.sku.empty()) return "a line item has no SKU";
    if (i.quantity == 0) return "line item " + i.sku + " has quantity 0";
    sum += i.quantity * i.unit_price - i.discount;
  }
  if (o.check_total && std::fabs(sum - r.total) > 0.01) {
    std::ostringstream s;
    s << "total " << r.total << " does not match the line items (" << sum << ")";
    return s.str();
  }
  return {};
}

ParseResult groupRows(const std::vector<FieldRow>& rows, const ParseOptions& o) {
  ParseResult out;
  auto get = [](const FieldRow& r, const char* field) {
    const auto it = r.fields.find(field);
    return it == r.fields.end() ? std::string() : it->second;
  };
  std::optional<Receipt> current;
  std::string raw, error;
  auto finish = [&] {
    if (!current) return;
    if (error.empty()) error = validate(*current, o);
    if (error.empty())
      out.receipts.push_back(std::move(*current));
    else
      out.rejected.push_back({"receipt " + current->receipt_no, error, raw});
    current.reset();
    raw.clear();
    error.clear();
  };
  for (const FieldRow& row : rows) {
    const std::string no = get(row, "receipt_no");
    std::string till = get(row, "till");
    if (till.empty()) till = o.default_till;
    if (!current || current->receipt_no != no || current->till != till) {
      finish();
      current = Receipt{};
      current->receipt_no = no;
      current->till = till;
      current->time = get(row, "time");
      current->cashier = get(row, "cashier");
      current->payment = get(row, "payment");
      current->member_code = get(row, "member_code");
      const auto total = number(get(row, "total"));
      if (!total) error = row.where + ": total '" + get(row, "total") + "' is not a number";
      current->total = total.value_or(0);
    }
    raw += row.raw;
    if (!row.error.empty()) {
      if (error.empty()) error = row.where + ": " + row.error;
      continue;
    }
    LineItem item;
    item.sku = get(row, "sku");
    const auto q = number(get(row, "quantity"));
    const auto p = number(get(row, "unit_price"));
    const std::string d_text = get(row, "discount");
    const auto d = d_text.empty() ? std::optional<double>(0) : number(d_text);
    if (!q || !p || !d) {
      if (error.empty()) error = row.where + ": quantity, unit_price and discount must be numbers";
      continue;
    }
    item.quantity = *q;
    item.unit_price = *p;
    item.discount = *d;
    current->items.push_back(std::move(item));
  }
  finish();
  return out;
}

ParseResult parseCsvReceipts(std::string_view text, const ParseOptions& o) {
  ParseResult out;
  const auto rows = parseCsv(text, o.delimiter);
  if (rows.empty()) {
    out.fatal = "file is empty";
    return out;
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows[0].fields.size(); ++i) index[rows[0].fields[i]] = i;
  for (const char* required : {"receipt_no", "time", "sku", "quantity", "unit_price", "total"}) {
    const auto c = o.columns.find(required);
    if (c == o.columns.end() || index.count(c->second) == 0) {
      out.fatal = std::string("header has no column for '") + required + "' (expected '" +
                  (c == o.columns.end() ? required : c->second) + "'; map it with `columns`)";
      return out;
    }
  }
  std::vector<FieldRow> mapped;
  mapped.reserve(rows.size() - 1);
  for (size_t i = 1; i < rows.size(); ++i) {
    const CsvRow& row = rows[i];
    FieldRow f;
    f.where = "line " + std::to_string(row.line);
    f.raw = joinRow(row.fields, o.delimiter) + "\n";
    f.error = row.error;
    if (f.error.empty() && row.fields.size() != rows[0].fields.size()) {
      f.error = std::to_string(row.fields.size()) + " fields, the header has " +
                std::to_string(rows[0].fields.size());
    }
    for (const auto& [field, header] : o.columns) {
      const auto it = index.find(header);
      if (it != index.end() && it->second < row.fields.size())
        f.fields[field] = row.fields[it->second];
    }
    mapped.push_back(std::move(f));
  }
  return groupRows(mapped, o);
}

namespace {
std::string str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return {};
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}
double num(const nlohmann::json& j, const char* key, bool& ok) {
  if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
  if (j.contains(key) && j[key].is_string()) {
    if (auto v = number(j[key].get<std::string>())) return *v;
  }
  if (j.contains(key) || std::string(key) != "discount") ok = false;
  return 0;
}
}  // namespace

ParseResult parseJsonReceipts(std::string_view text, const ParseOptions& o) {
  ParseResult out;
  // Bounded before a document is built: nlohmann's copy and dump recurse.
  if (sdk::jsonNesting(text) > sdk::kMaxJsonDepth) {
    out.fatal = "JSON nests deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels";
    return out;
  }
  std::vector<nlohmann::json> records;
  auto whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded()) {
    if (whole.is_array())
      records = std::move(whole.get_ref<nlohmann::json::array_t&>());
    else
      records.push_back(std::move(whole));
  } else {
    // JSON Lines: one receipt per line; a bad line is one rejected record.
    std::istringstream in{std::string(text)};
    std::string line;
    size_t n = 0, bad = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      // Each line on its own: the whole body's count cannot see into a line that follows an
      // unclosed quote.
      if (sdk::jsonNesting(line) > sdk::kMaxJsonDepth) {
        ++bad;
        out.rejected.push_back(
            {"line " + std::to_string(n),
             "JSON nests deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels",
             line.substr(0, 256) + "\n"});
        continue;
      }
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        ++bad;
        out.rejected.push_back({"line " + std::to_string(n), "not valid JSON", line + "\n"});
      } else {
        records.push_back(std::move(j));
      }
    }
    if (records.empty()) {
      out.fatal = bad > 0 ? "not valid JSON (neither a document nor JSON Lines)" : "file is empty";
      out.rejected.clear();
      return out;
    }
  }
  for (size_t k = 0; k < records.size(); ++k) {
    const nlohmann::json& j = records[k];
    const std::string where = "receipt " + std::to_string(k + 1);
    if (!j.is_object()) {
      out.rejected.push_back({where, "not a JSON object", j.dump() + "\n"});
      continue;
    }
    Receipt r;
    bool ok = true;
    r.receipt_no = str(j, "receipt_no");
    r.till = str(j, "till");
    if (r.till.empty()) r.till = o.default_till;
    r.time = str(j, "time");
    r.cashier = str(j, "cashier");
    r.payment = str(j, "payment");
    r.member_code = str(j, "member_code");
    r.total = num(j, "total", ok);
    if (j.contains("items") && j["items"].is_array()) {
      for (const auto& it : j["items"]) {
        if (!it.is_object()) {
          ok = false;
          continue;
        }
        LineItem item;
        item.sku = str(it, "sku");
        item.quantity = num(it, "quantity", ok);
        item.unit_price = num(it, "unit_price", ok);
        item.discount = num(it, "discount", ok);
        r.items.push_back(std::move(item));
      }
    }
    std::string why = ok ? validate(r, o) : "a number field is missing or not a number";
    if (why.empty())
      out.receipts.push_back(std::move(r));
    else
      out.rejected.push_back({where, why, j.dump() + "\n"});
  }
  return out;
}

}  // namespace storegate::plugins::pos
