// Clocks and time formatting shared by the core.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace storegate {

[[nodiscard]] int64_t wallClockNs();
// RFC 3339 UTC with milliseconds: 2026-11-23T23:59:01.123Z
[[nodiscard]] std::string formatRfc3339(int64_t unix_ns);
// "2026-11-24T10:15:00Z" or with a fraction ("…:00.250Z"); UTC only. Unix ns, or nullopt.
[[nodiscard]] std::optional<int64_t> parseTimestamp(std::string_view text);

// "250ms", "5s", "2m", "1h", "1d" or a bare integer of milliseconds.
[[nodiscard]] std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
// "512", "10KB", "64KiB", "8MiB", "1GiB", "2GB" (KB = 1000, KiB = 1024).
[[nodiscard]] std::optional<uint64_t> parseSize(std::string_view text);

}  // namespace storegate
