#include "admin/tokens.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/file_io.hpp"

namespace storegate::admin {

namespace {
std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 0xF]);
  }
  return out;
}
}  // namespace

std::string TokenStore::sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, len);
}

std::string TokenStore::newToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no randomness for a token");
  return "sg_" + hex(raw, sizeof raw);
}

std::unique_ptr<TokenStore> TokenStore::open(const std::filesystem::path& file, std::string& error,
                                             std::string* first_token) {
  auto owned = std::make_unique<TokenStore>();
  TokenStore& store = *owned;
  store.file_ = file;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    // Made under the lock: two first starts at once make one file, and a file that appeared
    // meanwhile keeps its tokens (the first admin token is then added beside them).
    const std::string token = newToken();
    if (!store.change(
            [&](std::vector<Entry>& entries, std::string&) {
              entries.push_back({sha256Hex(token), Role::kAdmin, "initial-admin"});
              return true;
            },
            error))
      return nullptr;
    if (first_token != nullptr) *first_token = token;
    return owned;
  }
  if ((st.st_mode & 077) != 0) {
    error = file.string() + " may be read by other users (mode " +
            std::to_string(st.st_mode & 0777) + "); run chmod 600 " + file.string();
    return nullptr;
  }
  std::vector<Entry> entries;
  if (!readEntries(file, entries, error)) return nullptr;
  MutexLock lock(store.mu_);
  store.entries_ = std::move(entries);
  return owned;
}

bool TokenStore::readEntries(const std::filesystem::path& file, std::vector<Entry>& out,
                             std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = "cannot read " + file.string();
    return false;
  }
  std::vector<Entry> entries;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    if (n > 100000 || line.size() > 1024) {
      error = file.string() + ":" + std::to_string(n) + ": line too long, or too many lines";
      return false;
    }
    std::istringstream fields(line);
    std::string hash, role, name;
    fields >> hash >> role >> name;
    const auto r = parseRole(role);
    if (hash.size() != 64 || !r) {
      error = file.string() + ":" + std::to_string(n) +
              ": expected '<sha256 hex> <viewer|operator|admin> <name>'";
      return false;
    }
    entries.push_back({hash, *r, name.empty() ? "token-" + std::to_string(n) : name});
  }
  out = std::move(entries);
  return true;
}

bool TokenStore::reload(std::string& error) {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) {
    error = "cannot read " + file_.string() + "; the tokens in force stay";
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    error = file_.string() + " may be read by other users; run chmod 600 " + file_.string() +
            " (the tokens in force stay)";
    return false;
  }
  std::vector<Entry> entries;
  if (!readEntries(file_, entries, error)) return false;
  MutexLock lock(mu_);
  entries_ = std::move(entries);
  return true;
}

std::vector<TokenStore::Listed> TokenStore::list() const {
  MutexLock lock(mu_);
  std::vector<Listed> out;
  for (const Entry& e : entries_) out.push_back({e.name, e.role, e.hash.substr(0, 12)});
  return out;
}

bool TokenStore::revoke(const std::string& name, std::string& error) {
  return change(
      [&](std::vector<Entry>& entries, std::string& why) {
        if (std::erase_if(entries, [&](const Entry& e) { return e.name == name; }) > 0) return true;
        why = "no token named '" + name + "'";
        return false;
      },
      error);
}

namespace {
// An exclusive flock on a directory for a scope (on the directory, not the file: the file
// is replaced by rename, and a lock on the old inode would not exclude a writer of the new).
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::filesystem::path& dir)
      : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    while (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};
}  // namespace

bool TokenStore::change(const std::function<bool(std::vector<Entry>&, std::string&)>& edit,
                        std::string& error) {
  MutexLock lock(mu_);
  if (Status s = createDirectoriesDurably(file_.parent_path()); !s.ok()) {
    error = s.message;
    return false;
  }
  DirectoryLock file_lock(file_.parent_path());
  if (!file_lock.held()) {
    error = "cannot lock " + file_.parent_path().string() + ": " + std::strerror(errno);
    return false;
  }
  std::vector<Entry> entries = entries_;
  std::error_code ec;
  if (std::filesystem::exists(file_, ec) && !readEntries(file_, entries, error)) return false;
  if (!edit(entries, error) || !save(entries, error)) return false;
  entries_ = std::move(entries);
  return true;
}

bool TokenStore::save(const std::vector<Entry>& entries, std::string& error) const {
  std::string text = "# storegate admin tokens: <sha256 of the token> <role> <name>\n";
  for (const Entry& e : entries) text += e.hash + " " + roleName(e.role) + " " + e.name + "\n";
  if (Status s = writeFileDurably(file_, text, 0600); !s.ok()) {
    error = s.message;
    return false;
  }
  return true;
}

std::optional<Principal> TokenStore::check(std::string_view token) const {
  if (token.empty() || token.size() > 256) return std::nullopt;
  return checkHash(sha256Hex(token));
}

std::optional<Principal> TokenStore::checkHash(std::string_view h) const {
  if (h.size() != 64) return std::nullopt;
  MutexLock lock(mu_);
  std::optional<Principal> found;
  // Compare against every entry, in constant time per entry, whatever matches.
  for (const Entry& e : entries_) {
    if (CRYPTO_memcmp(e.hash.data(), h.data(), h.size()) == 0) found = Principal{e.name, e.role};
  }
  return found;
}

std::optional<std::string> TokenStore::create(const std::string& name, Role role,
                                              std::string& error) {
  const std::string token = newToken();
  if (!change(
          [&](std::vector<Entry>& entries, std::string&) {
            entries.push_back({sha256Hex(token), role, name});
            return true;
          },
          error))
    return std::nullopt;
  return token;
}

}  // namespace storegate::admin
