#include "admin/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

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
    const std::string token = newToken();
    store.entries_.push_back({sha256Hex(token), Role::kAdmin, "initial-admin"});
    if (!store.save(error)) return nullptr;
    if (first_token != nullptr) *first_token = token;
    return owned;
  }
  if ((st.st_mode & 077) != 0) {
    error = file.string() + " may be read by other users (mode " +
            std::to_string(st.st_mode & 0777) + "); run chmod 600 " + file.string();
    return nullptr;
  }
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string hash, role, name;
    fields >> hash >> role >> name;
    const auto r = parseRole(role);
    if (hash.size() != 64 || !r) {
      error = file.string() + ":" + std::to_string(n) +
              ": expected '<sha256 hex> <viewer|operator|admin> <name>'";
      return nullptr;
    }
    store.entries_.push_back({hash, *r, name.empty() ? "token-" + std::to_string(n) : name});
  }
  return owned;
}

bool TokenStore::save(std::string& error) const {
  const auto tmp = file_.string() + ".tmp";
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      error = "cannot write " + tmp;
      return false;
    }
    ::chmod(tmp.c_str(), 0600);
    out << "# storegate admin tokens: <sha256 of the token> <role> <name>\n";
    for (const Entry& e : entries_)
      out << e.hash << " " << roleName(e.role) << " " << e.name << "\n";
  }
  std::filesystem::rename(tmp, file_, ec);
  if (ec) {
    error = "cannot replace " + file_.string() + ": " + ec.message();
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
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  entries_.push_back({sha256Hex(token), role, name});
  if (!save(error)) {
    entries_.pop_back();
    return std::nullopt;
  }
  return token;
}

}  // namespace storegate::admin
