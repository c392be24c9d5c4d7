#include "buffer/acked_mark.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/file_io.hpp"

namespace storegate {

namespace {

constexpr std::string_view kMagic = "SGSGACK2";

void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t getU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
  return v;
}

uint64_t check(std::string_view first24) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(first24.data(), first24.size(), md.data(), &len, EVP_sha256(), nullptr) != 1)
    return 0;
  return getU64(std::string_view(reinterpret_cast<const char*>(md.data()), 8));
}

}  // namespace

std::string AckedMark::encodeSlot(Value v) {
  std::string s(kMagic);
  putU64(s, v.acknowledged);
  putU64(s, v.reserved);
  putU64(s, check(s));
  return s;
}

std::optional<AckedMark::Value> AckedMark::decodeSlot(std::string_view slot) {
  if (slot.size() != kSlotBytes || slot.substr(0, 8) != kMagic) return std::nullopt;
  if (getU64(slot.substr(24, 8)) != check(slot.substr(0, 24))) return std::nullopt;
  Value v{getU64(slot.substr(8, 8)), getU64(slot.substr(16, 8))};
  if (v.reserved < v.acknowledged) return std::nullopt;  // never written so
  return v;
}

std::unique_ptr<AckedMark> AckedMark::open(const std::filesystem::path& path,
                                           std::optional<Value>& found, bool& damaged,
                                           std::string& error) {
  found.reset();
  damaged = false;
  struct stat before {};
  const bool existed = ::lstat(path.c_str(), &before) == 0;
  if (existed && !S_ISREG(before.st_mode)) {
    error = path.string() + " is not a regular file; move it aside";
    return nullptr;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = "cannot open " + path.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<AckedMark> mark(new AckedMark(path, fd));
  if (!existed) {
    // Made by root (an operator's one-shot start): owned like its directory, so the service
    // user can write it at the next start.
    struct stat dir {};
    if (::geteuid() == 0 && ::stat(path.parent_path().c_str(), &dir) == 0 &&
        ::fchown(fd, dir.st_uid, dir.st_gid) != 0) {
      error = "cannot hand " + path.string() + " to its directory's owner: " + std::strerror(errno);
      return nullptr;
    }
    if (Status s = syncDirectory(path.parent_path()); !s.ok()) {
      error = s.message;
      return nullptr;
    }
    return mark;
  }
  char bytes[2 * kSlotBytes];
  const ssize_t n = ::pread(fd, bytes, sizeof(bytes), 0);
  if (n < 0) {
    error = "cannot read " + path.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  std::optional<Value> slots[2];
  for (size_t i = 0; i < 2; ++i) {
    if (static_cast<size_t>(n) >= (i + 1) * kSlotBytes)
      slots[i] = decodeSlot(std::string_view(bytes + i * kSlotBytes, kSlotBytes));
  }
  // The newest slot is the one with the higher values; the next store overwrites the other.
  int newest = -1;
  if (slots[0] && slots[1])
    newest =
        slots[1]->reserved > slots[0]->reserved || (slots[1]->reserved == slots[0]->reserved &&
                                                    slots[1]->acknowledged > slots[0]->acknowledged)
            ? 1
            : 0;
  else if (slots[0])
    newest = 0;
  else if (slots[1])
    newest = 1;
  if (newest < 0) {
    damaged = n > 0;
    return mark;
  }
  found = slots[newest];
  MutexLock lock(mark->mu_);
  mark->value_ = *found;
  mark->next_slot_ = 1 - newest;
  return mark;
}

AckedMark::~AckedMark() {
  ::close(fd_);
}

Status AckedMark::store(Value v) {
  MutexLock lock(mu_);
  v.acknowledged = std::max(v.acknowledged, value_.acknowledged);
  v.reserved = std::max({v.reserved, value_.reserved, v.acknowledged});
  const std::string slot = encodeSlot(v);
  const off_t at = static_cast<off_t>(next_slot_) * static_cast<off_t>(kSlotBytes);
  if (::pwrite(fd_, slot.data(), slot.size(), at) != static_cast<ssize_t>(slot.size()))
    return Status::failed("cannot write " + path_.string() + ": " + std::strerror(errno));
  if (::fdatasync(fd_) != 0)
    return Status::failed("cannot sync " + path_.string() + ": " + std::strerror(errno));
  value_ = v;
  next_slot_ = 1 - next_slot_;
  return Status::success();
}

AckedMark::Value AckedMark::current() {
  MutexLock lock(mu_);
  return value_;
}

}  // namespace storegate
