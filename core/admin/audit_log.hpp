// Every change made through the admin API, one JSON line each: when, who, from where,
// what (method and path), and the result.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

namespace storegate::admin {

class AuditLog {
 public:
  explicit AuditLog(std::filesystem::path file) : file_(std::move(file)) {}
  void record(const std::string& who, const std::string& role, const std::string& client,
              const std::string& method, const std::string& path, int status,
              const std::string& detail);

 private:
  std::filesystem::path file_;
  std::mutex mu_;
};

}  // namespace storegate::admin
