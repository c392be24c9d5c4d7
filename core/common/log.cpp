// Formatting and output of structured log records.
#include "common/log.hpp"

#include <sys/stat.h>
#include <syslog.h>

#include <chrono>
#include <cstdio>
#include <storegate/sdk.hpp>

#include "common/file_io.hpp"
#include "common/time.hpp"

namespace storegate {

std::string_view toString(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  for (LogLevel l :
       {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (toString(l) == text) return l;
  }
  return std::nullopt;
}

Logger& Logger::instance() {
  static Logger* logger = new Logger();  // never destroyed: plugins may log during exit
  return *logger;
}

Logger::~Logger() {
  if (file_ != nullptr) std::fclose(file_);
}

std::optional<std::string> Logger::configure(const LogOptions& options) {
  std::lock_guard lock(mu_);
  options_ = options;
  level_ = options.level;
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  if (options.syslog && !syslog_open_) {
    openlog("storegated", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    syslog_open_ = true;
  }
  while (ring_.size() > options_.ring_size) ring_.pop_front();
  file_bytes_ = 0;
  rotates_ = false;
  if (!options.file.empty()) {
    file_ = std::fopen(options.file.c_str(), "a");
    if (file_ == nullptr) {
      return "cannot open log file '" + options.file + "' for appending";
    }
    // Only a regular file is rotated: a FIFO or /dev/stdout is somebody else's to manage.
    struct stat st {};
    if (::fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode)) {
      rotates_ = true;
      file_bytes_ = static_cast<uint64_t>(st.st_size);
    }
  }
  return std::nullopt;
}

namespace {

bool needsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void appendEscaped(std::string& out, std::string_view v) {
  sdk::detail::appendJsonEscaped(out, v);
}

void appendLogfmt(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(' ');
  out += key;
  out.push_back('=');
  if (needsQuoting(value)) {
    out.push_back('"');
    appendEscaped(out, value);
    out.push_back('"');
  } else {
    out += value;
  }
}

void appendJson(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  appendEscaped(out, key);
  out += "\":\"";
  appendEscaped(out, value);
  out.push_back('"');
}

int syslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
    case LogLevel::Debug:
      return LOG_DEBUG;
    case LogLevel::Info:
      return LOG_INFO;
    case LogLevel::Warn:
      return LOG_WARNING;
    case LogLevel::Error:
      return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

std::string Logger::format(LogLevel level, std::string_view component, std::string_view message,
                           const LogField* fields, size_t count) const {
  std::string out;
  out.reserve(128);
  const std::string ts = formatRfc3339(wallClockNs());
  if (options_.json) {
    out += "{\"time\":\"" + ts + "\"";
    appendJson(out, "level", toString(level));
    appendJson(out, "component", component);
    appendJson(out, "msg", message);
    for (size_t i = 0; i < count; ++i) appendJson(out, fields[i].first, fields[i].second);
    out.push_back('}');
  } else {
    out += "time=" + ts;
    appendLogfmt(out, "level", toString(level));
    appendLogfmt(out, "component", component);
    appendLogfmt(out, "msg", message);
    for (size_t i = 0; i < count; ++i) appendLogfmt(out, fields[i].first, fields[i].second);
  }
  return out;
}

void Logger::write(LogLevel level, std::string_view component, std::string_view message,
                   std::initializer_list<LogField> fields) {
  writeRecord(level, component, message, fields.begin(), fields.size());
}

void Logger::write(LogLevel level, std::string_view component, std::string_view message,
                   const std::vector<LogField>& fields) {
  writeRecord(level, component, message, fields.data(), fields.size());
}

void Logger::writeRecord(LogLevel level, std::string_view component, std::string_view message,
                         const LogField* fields, size_t count) {
  if (!enabled(level)) return;
  std::lock_guard lock(mu_);
  std::string line = format(level, component, message, fields, count);
  if (options_.console) std::fprintf(stderr, "%s\n", line.c_str());
  if (file_ != nullptr) {
    if (rotates_ && file_bytes_ > 0 && file_bytes_ + line.size() + 1 > options_.max_file_size)
      rotateLocked();
    if (file_ != nullptr) {
      std::fprintf(file_, "%s\n", line.c_str());
      std::fflush(file_);
      file_bytes_ += line.size() + 1;
    }
  }
  if (syslog_open_ && options_.syslog) ::syslog(syslogPriority(level), "%s", line.c_str());
  ring_.push_back(std::move(line));
  if (ring_.size() > options_.ring_size) ring_.pop_front();
}

void Logger::rotateLocked() {
  std::fclose(file_);
  file_ = nullptr;
  const Status rotated = rotateNumbered(options_.file, options_.keep_files);
  file_ = std::fopen(options_.file.c_str(), "a");
  file_bytes_ = 0;
  if (file_ == nullptr) {
    std::fprintf(stderr, "storegated: cannot reopen log file '%s' after rotating it\n",
                 options_.file.c_str());
    return;
  }
  if (!rotated.ok()) {
    // Not rotated (the rename failed): said once in the file itself, and the file is cut
    // instead of growing without bound.
    std::fclose(file_);
    file_ = std::fopen(options_.file.c_str(), "w");
    if (file_ != nullptr)
      std::fprintf(
          file_, "level=error component=log msg=\"cannot rotate; the log was cut\" error=\"%s\"\n",
          rotated.message.c_str());
  }
}

std::vector<std::string> Logger::recent(size_t max) const {
  std::lock_guard lock(mu_);
  const size_t n = std::min(max, ring_.size());
  return {ring_.end() - static_cast<std::ptrdiff_t>(n), ring_.end()};
}

}  // namespace storegate
