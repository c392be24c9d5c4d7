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
                            {"path", path},
                            {"status", status},
                            {"detail", detail}};
  std::lock_guard lock(mu_);
  std::ofstream out(file_, std::ios::app);
  if (!out) {
    logError("admin", "cannot append to the audit log", {{"file", file_.string()}});
    return;
  }
  ::chmod(file_.c_str(), 0600);
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace storegate::admin
