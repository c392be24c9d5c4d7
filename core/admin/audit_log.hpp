// Every change made through the admin API, one JSON line each: when, who, from where,
// what (method and path), and the result. Bounded on flash: a line's path and detail are
// cut to 256 and 512 bytes, and the file rotates at `max_bytes` into `<file>.1` … `.<keep>`
// (the oldest dropped), so requests from outside can never fill the disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace storegate::admin {

class AuditLog {
 public:
  explicit AuditLog(std::filesystem::path file, uint64_t max_bytes = 4 << 20, int keep = 3)
      : file_(std::move(file)), max_bytes_(max_bytes), keep_(keep) {}
  void record(const std::string& who, const std::string& role, const std::string& client,
              const std::string& method, const std::string& path, int status,
              const std::string& detail);

 private:
  void rotateIfFull();  // with mu_ held

  std::filesystem::path file_;
  uint64_t max_bytes_;
  int keep_;
  std::mutex mu_;
};

}  // namespace storegate::admin
