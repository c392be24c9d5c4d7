// A config error that names where it is: `plugins[2].config.port: 70000 is not in 1..65535`.
#pragma once

#include <string>
#include <vector>

namespace storegate {

struct ConfigError {
  std::string path;
  std::string message;
  [[nodiscard]] std::string text() const { return path.empty() ? message : path + ": " + message; }
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace storegate
