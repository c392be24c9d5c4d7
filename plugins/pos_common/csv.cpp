// CSV parsing with quote handling, one pass.
#include "csv.hpp"

namespace storegate::plugins::pos {

std::vector<CsvRow> parseCsv(std::string_view text, char delimiter) {
  std::vector<CsvRow> rows;
  size_t i = 0, line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark from spreadsheet exports
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::string field;
    bool in_quotes = false, row_done = false, quoted = false;
    while (i < text.size() && !row_done) {
      const char c = text[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          in_quotes = false;
        } else {
          if (c == '\n') ++line;
          field.push_back(c);
        }
        ++i;
        continue;
      }
      if (c == '"' && field.empty() && !quoted) {
        in_quotes = quoted = true;
      } else if (c == delimiter) {
        row.fields.push_back(std::move(field));
        field.clear();
        quoted = false;
      } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        // part of CRLF; the \n ends the row
      } else if (c == '\n') {
        row_done = true;
        ++line;
      } else {
        field.push_back(c);
      }
      ++i;
    }
    if (in_quotes) row.error = "unterminated quoted field";
    row.fields.push_back(std::move(field));
    const bool blank = row.fields.size() == 1 && row.fields[0].empty() && row.error.empty();
    if (!blank) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace storegate::plugins::pos
