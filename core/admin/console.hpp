// The store console's static files (core/admin/console/), compiled into the daemon so
// that it works offline and with nothing else installed.
#pragma once

#include <span>
#include <string_view>

namespace storegate::admin {

struct ConsoleAsset {
  std::string_view path;  // e.g. "/", "/console/app.js"
  std::string_view content_type;
  std::string_view body;
};

[[nodiscard]] std::span<const ConsoleAsset> consoleAssets();

}  // namespace storegate::admin
