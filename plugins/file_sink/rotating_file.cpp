// Size-based rotation and full writes with errno-named errors.
#include "rotating_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <storegate/sdk.hpp>

namespace storegate::plugins::file_sink {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw sdk::Error(what + " '" + path + "': " + std::strerror(errno), SG_ERR_RETRY);
}
}  // namespace

RotatingFile::RotatingFile(std::string path, uint64_t max_bytes, int max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {
  open();
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RotatingFile::open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) fail("cannot open", path_);
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void RotatingFile::rotate() {
  ::close(fd_);
  fd_ = -1;
  for (int i = max_files_ - 1; i >= 1; --i) {
    const std::string from = path_ + "." + std::to_string(i);
    const std::string to = path_ + "." + std::to_string(i + 1);
    sdk::ignore(std::rename(from.c_str(), to.c_str()), "a missing older file is fine");
  }
  if (max_files_ >= 1 && std::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 &&
      errno != ENOENT) {
    fail("cannot rotate", path_);
  }
  open();
}

void RotatingFile::append(std::string_view data, bool sync) {
  if (size_ > 0 && size_ + data.size() > max_bytes_) rotate();
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path_);
    }
    done += static_cast<size_t>(n);
  }
  size_ += data.size();
  if (sync && ::fdatasync(fd_) != 0) fail("cannot sync", path_);
}

}  // namespace storegate::plugins::file_sink
