// A fast, allocation-free check that bytes are one well-formed JSON value (RFC 8259),
// for validating event data on ingest without building a document.
#pragma once

#include <string_view>

namespace storegate {

// Nesting deeper than `max_depth` is refused (a guard against stack-exhausting input).
[[nodiscard]] bool isValidJson(std::string_view text, int max_depth = 64);

}  // namespace storegate
