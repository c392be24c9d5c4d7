#include "admin/audit_log.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/time.hpp"

namespace storegate::admin {

void AuditLog::record(const std::string& who, const std::string& role, const std::string& client,
                      const std::string& method, const std::string& path, int status,
                      const std::string& detail) {
  const nlohmann::json line{{"time", formatRfc3339(wallClockNs())},
                            {"who", who},
                            {"role", role},
                            {"client", client},
                            {"method", method},
                            {"path", path.substr(0, 256)},
                            {"status", status},
                            {"detail", detail.substr(0, 512)}};
  std::lock_guard lock(mu_);
  rotateIfFull();
  std::ofstream out(file_, std::ios::app);
  if (!out) {
    logError("admin", "cannot append to the audit log", {{"file", file_.string()}});
    return;
  }
  ::chmod(file_.c_str(), 0600);
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void AuditLog::rotateIfFull() {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file_, ec);
  if (ec || size < max_bytes_) return;
  const auto numbered = [&](int n) {
    return std::filesystem::path(file_.string() + "." + std::to_string(n));
  };
  std::filesystem::remove(numbered(keep_), ec);
  for (int n = keep_ - 1; n >= 1; --n) std::filesystem::rename(numbered(n), numbered(n + 1), ec);
  std::filesystem::rename(file_, numbered(1), ec);
  if (ec)
    logError("admin", "cannot rotate the audit log; it keeps growing",
             {{"file", file_.string()}, {"error", ec.message()}});
}

}  // namespace storegate::admin
