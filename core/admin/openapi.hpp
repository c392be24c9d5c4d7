// The admin API's OpenAPI 3 document (docs/openapi.json), compiled in.
#pragma once

#include <string_view>

namespace storegate::admin {
[[nodiscard]] std::string_view openApiDocument();
}
