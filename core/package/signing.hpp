// Ed25519 keys and signatures for plugin packages (OpenSSL). Keys are PEM files: a
// private key (PKCS#8, written 0600) and its public key (SubjectPublicKeyInfo), which is
// what routers trust. A key's id is the first 16 hex digits of the SHA-256 of its raw
// 32-byte public key.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/status.hpp"
#include "package/sgp.hpp"

namespace storegate::package {

// Writes `<prefix>.key` (private, 0600) and `<prefix>.pub`. Refuses to overwrite.
Status generateKey(const std::filesystem::path& prefix, std::string& key_id);

// Signs the package's manifest with the private key in `key_file`: sets key_id in the
// manifest (re-serialized) and the signature.
Status sign(Package& p, const std::filesystem::path& key_file);

// Public keys routers trust: every `*.pub` in a directory, by key id.
class TrustStore {
 public:
  // Loads the directory; a key that cannot be read is an error naming the file.
  Status load(const std::filesystem::path& dir);
  Status add(const std::filesystem::path& pub_file);
  [[nodiscard]] size_t size() const { return keys_.size(); }

  // Checks everything a router needs before it loads a package's library: signed, by a
  // trusted key, signature valid, for this architecture, an ABI this host speaks, and
  // (when given) the plugin `expected_name`. The message says what is wrong and what to do.
  [[nodiscard]] Status verify(const Package& p, const std::string& expected_name = "") const;

  // For an installed library: `<library>.sgm` must verify and match `bytes`, the library's
  // contents as the caller read them (and will load them: checking a path and then loading
  // it again would let the file change in between).
  [[nodiscard]] Status verifyInstalled(const std::filesystem::path& library,
                                       const std::string& bytes) const;
  // The same, reading the file at `library` now (for tools, not for loading).
  [[nodiscard]] Status verifyInstalled(const std::filesystem::path& library) const;

 private:
  std::map<std::string, std::string> keys_;  // key id → raw 32-byte public key
};

}  // namespace storegate::package
