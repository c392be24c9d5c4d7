// The shape a config's YAML may have, checked on the event stream before any document is
// built: one document, no aliases (a recursive one crashed the daemon, a "billion laughs"
// one of 1 KB grew it by gigabytes), nesting at most kMaxYamlDepth, no key twice in one
// mapping (the second silently won), at most kMaxYamlBytes.
#pragma once

#include <optional>
#include <string>

#include "config/config_error.hpp"

namespace storegate {

inline constexpr size_t kMaxYamlBytes = 1 << 20;
inline constexpr int kMaxYamlDepth = 64;

// The first problem found, with its line and column, or nullopt when the text may be
// loaded. Syntax errors are left to the loader (it words them better).
[[nodiscard]] std::optional<ConfigError> checkYamlShape(const std::string& text);

}  // namespace storegate
