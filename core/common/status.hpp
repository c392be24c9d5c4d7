// A status with a message, for the core's fallible operations. Codes are the ABI's.
#pragma once

#include <storegate/plugin.h>

#include <string>
#include <string_view>
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

  // Drops this status on purpose (RocksDB's PermitUncheckedError idea): `because` says why
  // the caller may go on either way, so every ignored status is greppable and reasoned.
  void ignoreError(std::string_view because) const noexcept { static_cast<void>(because); }
};

// The same for a result that is not a Status (an outcome enum, an optional, a bool).
template <typename T>
void ignoreResult(T&& result, std::string_view because) noexcept {
  static_cast<void>(result);
  static_cast<void>(because);
}

[[nodiscard]] const char* statusName(sg_status code);

}  // namespace storegate
