// libFuzzer target: the POS receipt parsers (CSV exports from tills, JSON from webhooks and
// files). Every record becomes a receipt or a rejection with a reason; nothing crashes.
#include <cstdint>
#include <string_view>

#include "pos_common/receipt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  storegate::plugins::pos::ParseOptions options;
  options.check_total = (data[0] & 1) != 0;
  options.delimiter = (data[0] & 2) != 0 ? ';' : ',';
  const auto csv = storegate::plugins::pos::parseCsvReceipts(text, options);
  const auto json = storegate::plugins::pos::parseJsonReceipts(text, options);
  for (const auto* r : {&csv, &json})
    for (const auto& rejected : r->rejected)
      if (rejected.reason.empty()) __builtin_trap();
  return 0;
}
