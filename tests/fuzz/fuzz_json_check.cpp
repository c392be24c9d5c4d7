// libFuzzer target: the ingest path's allocation-free JSON check against nlohmann's parser
// as an oracle. Whatever nlohmann accepts (within the depth limit) the check accepts; what
// the check accepts nlohmann accepts too, for ASCII without \u escapes (the check does not
// validate UTF-8 or surrogate pairs; nlohmann does).
#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>
#include <string_view>

#include "common/status.hpp"
#include "event/json_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool ours = storegate::isValidJson(text, 64);
  const bool theirs = nlohmann::json::accept(text.begin(), text.end());
  // nlohmann's lexer takes a NUL byte for the end of input ("1\0garbage" is accepted), so
  // the oracle holds only for input without one; ours refuses it (found by this target).
  // It also skips a leading UTF-8 byte order mark, which RFC 8259 lets a parser refuse.
  const bool has_nul = text.find('\0') != std::string_view::npos ||
                       text.substr(0, 3) == std::string_view("\xEF\xBB\xBF");
  if (theirs && !ours && !has_nul && static_cast<int>(storegate::sdk::jsonNesting(text)) <= 64)
    __builtin_trap();
  bool plain = text.find("\\u") == std::string_view::npos;
  for (const unsigned char c : text) plain = plain && c < 0x80;
  if (ours && !theirs && plain) {
    // RFC 8259 lets numbers be any size; nlohmann refuses one past a double ("9e999999").
    try {
      storegate::ignoreResult(nlohmann::json::parse(text.begin(), text.end()), "throws here");
    } catch (const nlohmann::json::exception& e) {
      if (std::string_view(e.what()).find("overflow") != std::string_view::npos) return 0;
    }
    __builtin_trap();
  }
  return 0;
}
