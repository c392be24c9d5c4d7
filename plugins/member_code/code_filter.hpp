// What turns a raw read into a member scan: strip the scanner's prefix and suffix, keep
// only codes that look like member codes, count a code held in front of a camera (or
// scanned twice) once per debounce window, and give dynamic codes their time-to-live.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <string>

namespace storegate::plugins::member_code {

struct FilterSettings {
  std::string prefix;
  std::string suffix;
  std::string pattern = ".+";  // a member code matches this whole
  std::chrono::milliseconds debounce{2000};
  std::string dynamic_pattern;  // empty: no dynamic codes
  std::chrono::milliseconds dynamic_ttl{120'000};
};

struct Verdict {
  enum class Kind { kScan, kRepeat, kIgnored };
  Kind kind = Kind::kIgnored;
  std::string code;                        // cleaned
  std::optional<int64_t> expires_unix_ns;  // dynamic codes
};

class CodeFilter {
 public:
  // Throws sdk::Error (SG_ERR_INVALID) for a pattern that is not a valid regex.
  explicit CodeFilter(FilterSettings s);
  Verdict check(std::string raw, int64_t now_unix_ns);

 private:
  FilterSettings s_;
  std::regex pattern_;
  std::optional<std::regex> dynamic_;
  std::map<std::string, int64_t> last_seen_;  // code → last time (ns)
};

}  // namespace storegate::plugins::member_code
