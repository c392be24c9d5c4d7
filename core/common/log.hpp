// Structured logging for the daemon: one line per record, logfmt or JSON, to the console,
// a file and/or syslog, plus a ring of recent lines for the admin API.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storegate {

enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

[[nodiscard]] std::string_view toString(LogLevel level);
[[nodiscard]] std::optional<LogLevel> parseLogLevel(std::string_view text);

struct LogOptions {
  LogLevel level = LogLevel::Info;
  bool json = false;    // JSON lines instead of logfmt
  bool console = true;  // stderr
  std::string file;     // appended to when not empty
  // The file is rotated when it would pass max_file_size: file → file.1 → … → file.N
  // (N = keep_files), the oldest removed, so the log never holds more than (N+1) × size.
  uint64_t max_file_size = 10ull << 20;
  int keep_files = 3;
  bool syslog = false;  // LOG_DAEMON facility, ident "storegated"
  size_t ring_size = 1000;
};

using LogField = std::pair<std::string, std::string>;

// Process-wide and thread-safe. Records below the level cost one relaxed atomic load.
class Logger {
 public:
  static Logger& instance();

  // Applies new options; the file is reopened. Returns an error message when the file
  // cannot be opened (console logging continues).
  [[nodiscard]] std::optional<std::string> configure(const LogOptions& options);
  [[nodiscard]] bool enabled(LogLevel level) const {
    return level >= level_.load(std::memory_order_relaxed);
  }

  void write(LogLevel level, std::string_view component, std::string_view message,
             std::initializer_list<LogField> fields = {});
  void write(LogLevel level, std::string_view component, std::string_view message,
             const std::vector<LogField>& fields);

  // The most recent formatted lines, oldest first.
  [[nodiscard]] std::vector<std::string> recent(size_t max) const;

 private:
  Logger() = default;
  ~Logger();
  void writeRecord(LogLevel level, std::string_view component, std::string_view message,
                   const LogField* fields, size_t count);
  std::string format(LogLevel level, std::string_view component, std::string_view message,
                     const LogField* fields, size_t count) const;
  // Renames the full file away (numbered) and opens a new one. With mu_ held.
  void rotateLocked();

  mutable std::mutex mu_;
  // Read by every log call on every thread without the lock; written by a reload.
  std::atomic<LogLevel> level_{LogLevel::Info};
  LogOptions options_;
  std::FILE* file_ = nullptr;
  uint64_t file_bytes_ = 0;  // of file_, counted as written
  bool rotates_ = false;     // file_ is a regular file (not a FIFO or a device)
  bool syslog_open_ = false;
  std::deque<std::string> ring_;
};

// Lets one of a repeated log line through per `interval` and counts the rest, so a
// condition that repeats thousands of times a second costs one line every interval (the
// flash of a router wears out). Thread-safe, lock-free.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds interval)
      : interval_ns_(interval.count() * 1'000'000) {}
  // True when this occurrence should be logged; `suppressed` is then how many were not
  // since the last one that was.
  bool allow(uint64_t& suppressed) {
    const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < interval_ns_) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!last_ns_.compare_exchange_strong(last, now)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = suppressed_.exchange(0);
    return true;
  }

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> last_ns_{0};
  std::atomic<uint64_t> suppressed_{0};
};

inline void logAt(LogLevel level, std::string_view component, std::string_view message,
                  std::initializer_list<LogField> fields = {}) {
  Logger& l = Logger::instance();
  if (l.enabled(level)) l.write(level, component, message, fields);
}
inline void logDebug(std::string_view c, std::string_view m,
                     std::initializer_list<LogField> f = {}) {
  logAt(LogLevel::Debug, c, m, f);
}
inline void logInfo(std::string_view c, std::string_view m,
                    std::initializer_list<LogField> f = {}) {
  logAt(LogLevel::Info, c, m, f);
}
inline void logWarn(std::string_view c, std::string_view m,
                    std::initializer_list<LogField> f = {}) {
  logAt(LogLevel::Warn, c, m, f);
}
inline void logError(std::string_view c, std::string_view m,
                     std::initializer_list<LogField> f = {}) {
  logAt(LogLevel::Error, c, m, f);
}

}  // namespace storegate
