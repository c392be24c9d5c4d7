#include "admin/audit_log.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/time.hpp"

namespace storegate::admin {

using storegate::Status;

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
  if (const Status s = rotateNumbered(file_, keep_); !s.ok())
    logError("admin", "cannot rotate the audit log; it keeps growing",
             {{"file", file_.string()}, {"error", s.message}});
}

}  // namespace storegate::admin
