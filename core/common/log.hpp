// Structured logging for the daemon: one line per record, logfmt or JSON, to the console,
// a file and/or syslog, plus a ring of recent lines for the admin API.
#pragma once

#include <atomic>
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

  mutable std::mutex mu_;
  // Read by every log call on every thread without the lock; written by a reload.
  std::atomic<LogLevel> level_{LogLevel::Info};
  LogOptions options_;
  std::FILE* file_ = nullptr;
  bool syslog_open_ = false;
  std::deque<std::string> ring_;
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
