// Glob matching for event types: '*' matches any run of characters, nothing else is special.
#pragma once

#include <string_view>

namespace storegate {

[[nodiscard]] bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace storegate
