#include "common/file_io.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/failpoint.hpp"

namespace storegate {

std::optional<std::string> readWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {
Status osError(const std::string& what, const std::filesystem::path& path) {
  return Status::failed(what + " " + path.string() + ": " + std::strerror(errno));
}
}  // namespace

Status syncDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return osError("cannot open directory", d);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return rc == 0 ? Status::success() : osError("cannot fsync directory", d);
}

namespace {
// Temporaries of `path` ("<name>.part-<pid>-<n>") left by processes that died mid-write.
void removeDeadWritersTemporaries(const std::filesystem::path& path) {
  const std::string prefix = path.filename().string() + ".part-";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(path.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
    std::error_code ignored;
    std::filesystem::remove(it->path(), ignored);
  }
}
}  // namespace

Status writeFileDurably(const std::filesystem::path& path, const std::string& bytes, mode_t mode) {
  // A name of its own per write: two writers of one file never share a temporary.
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path tmp = path.string() + ".part-" + std::to_string(::getpid()) + "-" +
                                    std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) {
    // Left by an earlier process that had this pid and died mid-write (pids repeat across
    // a router's boots): nobody alive writes it.
    ::unlink(tmp.c_str());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  }
  if (fd < 0) return osError("cannot create", tmp);
  const auto fail = [&](const std::string& what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    return osError(what, tmp);
  };
  // The mode asked for, whatever the umask took away (tokens must be exactly 0600), and the
  // owner of the file it replaces: root editing the daemon's tokens file must not take it
  // away from the daemon's user.
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of");
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0 && ::geteuid() == 0 &&
      ::fchown(fd, old.st_uid, old.st_gid) != 0)
    return fail("cannot keep the owner of " + path.string() + " for");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return osError("cannot close", tmp);
  }
  SG_FAILPOINT("durable_write_before_rename");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Status s = osError("cannot rename " + tmp.string() + " to", path);
    ::unlink(tmp.c_str());
    return s;
  }
  removeDeadWritersTemporaries(path);
  return syncDirectory(path.parent_path());
}

Status createDirectoriesDurably(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;  // deepest first
  std::error_code ec;
  for (auto p = dir.lexically_normal(); !p.empty() && !std::filesystem::exists(p, ec);
       p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!std::filesystem::create_directory(*it, ec) && ec)
      return Status::failed("cannot create " + it->string() + ": " + ec.message());
    const auto parent = it->has_parent_path() ? it->parent_path() : std::filesystem::path(".");
    if (Status s = syncDirectory(parent.empty() ? std::filesystem::path(".") : parent); !s.ok())
      return s;
  }
  if (!std::filesystem::is_directory(dir, ec))
    return Status::failed("cannot create " + dir.string() + ": it exists and is not a directory");
  return Status::success();
}

Status rotateNumbered(const std::filesystem::path& path, int keep) {
  const auto numbered = [&](int n) {
    return std::filesystem::path(path.string() + "." + std::to_string(n));
  };
  std::error_code ec;
  std::filesystem::remove(numbered(keep), ec);
  for (int n = keep - 1; n >= 1; --n) {
    std::filesystem::rename(numbered(n), numbered(n + 1), ec);  // a gap in the numbers is fine
  }
  if (keep <= 0) {
    std::filesystem::remove(path, ec);
  } else {
    std::filesystem::rename(path, numbered(1), ec);
  }
  if (ec) return Status::failed("cannot rotate " + path.string() + ": " + ec.message());
  return Status::success();
}

}  // namespace storegate
