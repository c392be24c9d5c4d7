// Clocks, RFC 3339 formatting and parsing of human durations and sizes.
#include "common/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <storegate/sdk.hpp>

namespace storegate {

int64_t wallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatRfc3339(int64_t unix_ns) {
  return sdk::detail::rfc3339(unix_ns);
}

namespace {

// Splits "64MiB" into 64 and "MiB". Rejects negative numbers and empty input.
bool splitNumber(std::string_view text, uint64_t& number, std::string_view& unit) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data()) return false;
  unit = text.substr(static_cast<size_t>(ptr - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}

std::optional<uint64_t> scaled(uint64_t n, uint64_t factor) {
  if (factor != 0 && n > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
  return n * factor;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!splitNumber(text, n, unit)) return std::nullopt;
  uint64_t factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m" || unit == "min")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return std::nullopt;
  const auto ms = scaled(n, factor);
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

std::optional<uint64_t> parseSize(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!splitNumber(text, n, unit)) return std::nullopt;
  struct Unit {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"KiB", 1024},
      {"MiB", 1024 * 1024},
      {"GiB", 1024ull * 1024 * 1024},
  };
  for (const Unit& u : kUnits) {
    if (u.name == unit) return scaled(n, u.factor);
  }
  return std::nullopt;
}

std::optional<int64_t> parseTimestamp(std::string_view text) {
  const std::string s(text);
  std::tm tm{};
  const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int64_t frac_ns = 0;
  if (*rest == '.') {
    int64_t scale = 100'000'000;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10)
      frac_ns += (*rest - '0') * scale;
  }
  if (*rest != 'Z' || rest[1] != '\0') return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm)) * 1'000'000'000 + frac_ns;
}

}  // namespace storegate
