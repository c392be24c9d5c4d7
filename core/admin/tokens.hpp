// Bearer tokens for the admin API, stored hashed (SHA-256) in a 0600 file, one per line:
//   <sha256 hex> <role> <name>
// A token is 32 random bytes, hex. On first start, with no file, one admin token is made,
// printed once to stderr and only its hash is kept. Checks compare hashes in constant time.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/api_types.hpp"
#include "common/mutex.hpp"
#include "common/status.hpp"

namespace storegate::admin {

class TokenStore {
 public:
  // Loads `file`, creating it with a first admin token when it does not exist (the token
  // goes to `first_token`). Refuses a file others may read.
  static std::unique_ptr<TokenStore> open(const std::filesystem::path& file, std::string& error,
                                          std::string* first_token = nullptr);

  [[nodiscard]] std::optional<Principal> check(std::string_view token) const;
  // The same, for a token that arrived already hashed (remote requests carry only the
  // SHA-256 of their token, so the clear token is never stored in the buffer).
  [[nodiscard]] std::optional<Principal> checkHash(std::string_view sha256_hex) const;
  // Adds a token (returned in clear once) and rewrites the file atomically.
  [[nodiscard]] std::optional<std::string> create(const std::string& name, Role role,
                                                  std::string& error);
  // Re-reads the file (SIGHUP): a token removed from it stops working at once. On error the
  // tokens in force stay and `error` says why.
  [[nodiscard]] bool reload(std::string& error);
  struct Listed {
    std::string name;
    Role role;
    std::string hash_prefix;  // enough to tell tokens apart, never enough to use one
  };
  [[nodiscard]] std::vector<Listed> list() const;
  // Removes every token named `name` and rewrites the file. False when there is none.
  [[nodiscard]] bool revoke(const std::string& name, std::string& error);
  [[nodiscard]] static std::string newToken();
  [[nodiscard]] static std::string sha256Hex(std::string_view text);

 private:
  struct Entry {
    std::string hash;
    Role role;
    std::string name;
  };
  // Applies `edit` to the file's current entries (re-read under an exclusive lock on its
  // directory, so a storegatectl beside the daemon never loses the other's change), writes
  // them durably and makes them the ones in force. False with `error` when nothing changed.
  bool change(const std::function<bool(std::vector<Entry>&, std::string&)>& edit,
              std::string& error) SG_EXCLUDES(mu_);
  bool save(const std::vector<Entry>& entries, std::string& error) const;
  static bool readEntries(const std::filesystem::path& file, std::vector<Entry>& out,
                          std::string& error);

  std::filesystem::path file_;
  mutable Mutex mu_;
  std::vector<Entry> entries_ SG_GUARDED_BY(mu_);
};

}  // namespace storegate::admin
