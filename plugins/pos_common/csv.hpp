// A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF, a configurable
// delimiter. Reports the line where a malformed row starts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storegate::plugins::pos {

struct CsvRow {
  size_t line = 0;  // 1-based line the row starts on
  std::vector<std::string> fields;
  std::string error;  // non-empty: the row is malformed (e.g. an unterminated quote)
};

[[nodiscard]] std::vector<CsvRow> parseCsv(std::string_view text, char delimiter = ',');

}  // namespace storegate::plugins::pos
