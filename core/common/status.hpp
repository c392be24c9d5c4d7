// A status with a message, for the core's fallible operations. Codes are the ABI's.
#pragma once

#include <storegate/plugin.h>

#include <string>
#include <utility>

namespace storegate {

struct [[nodiscard]] Status {
  sg_status code = SG_OK;
  std::string message;

  [[nodiscard]] bool ok() const noexcept { return code == SG_OK; }
  static Status success() { return {}; }
  static Status error(sg_status code, std::string message) { return {code, std::move(message)}; }
  static Status failed(std::string message) { return {SG_ERR_FAILED, std::move(message)}; }
  static Status invalid(std::string message) { return {SG_ERR_INVALID, std::move(message)}; }
};

[[nodiscard]] const char* statusName(sg_status code);

}  // namespace storegate
