// Member identifiers leave the store as pseudonyms: HMAC-SHA256 under the brand's key, so
// the cloud can join a member's visits without learning the code printed on their card.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storegate::plugins::platform {

class Pseudonymizer {
 public:
  // `key` empty: disabled (apply returns its input). `fields`: JSON member names whose
  // values are identifiers, wherever they occur in an event's data.
  Pseudonymizer(std::string key, std::vector<std::string> fields);

  [[nodiscard]] bool enabled() const noexcept { return !key_.empty(); }
  // The pseudonym of one identifier: 32 lowercase hex digits (128 bits of the HMAC).
  [[nodiscard]] std::string pseudonym(std::string_view id) const;
  // `json` with every string or number under a listed name replaced by its pseudonym.
  // Text that is not JSON, or names none of the fields, comes back unchanged.
  [[nodiscard]] std::string apply(std::string_view json) const;
  // Whether apply could change `json` (a cheap pre-check on the raw text).
  [[nodiscard]] bool mayApply(std::string_view json) const;

 private:
  std::string key_;
  std::vector<std::string> fields_;
  std::vector<std::string> quoted_;  // "\"name\"" for mayApply
};

}  // namespace storegate::plugins::platform
