// Signed plugin packages (.sgp). A package is a POSIX ustar archive (inspect it with
// `tar tvf`) of exactly these members, in this order:
//   manifest.json  what the build is: name, version, ABI, architecture, SHA-256 of the
//                  library, its config schema (format below)
//   plugin.so      the library
//   manifest.sig   Ed25519 signature of manifest.json's exact bytes (absent: unsigned)
// The manifest names the library's hash, so the signature covers the library too.
// Installed, the library is kept as `X.so` next to `X.so.sgm`: the same archive without
// plugin.so, which the daemon checks before every load when signatures are required.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.hpp"

namespace storegate::package {

inline constexpr size_t kMaxLibraryBytes = 256u << 20;
inline constexpr size_t kMaxManifestBytes = 1u << 20;

struct Manifest {
  int format = 1;
  std::string name;         // the plugin type, as its descriptor says
  std::string version;      // the plugin's own version
  std::string abi_version;  // "major.minor" the build speaks
  std::string arch;         // Debian architecture: amd64, arm64, …
  std::string sha256;       // of plugin.so, lower-case hex
  uint64_t size = 0;        // of plugin.so
  nlohmann::json schema;    // the config's JSON Schema (null when packed cross-arch)
  std::string key_id;       // the signing key's id (empty until signed)

  [[nodiscard]] nlohmann::json toJson() const;
  // Parses and checks the fields; the message names the first bad one.
  static Status fromJson(const std::string& text, Manifest& out);
};

struct Package {
  std::string manifest_text;  // exact bytes: what the signature covers
  Manifest manifest;
  std::string library;    // empty in a .sgm sidecar
  std::string signature;  // raw 64 bytes, empty when unsigned
};

// Archive ↔ package. read() refuses anything but the members above, oversized members and
// broken headers, naming the problem.
[[nodiscard]] std::string write(const Package& p, bool with_library = true);
[[nodiscard]] Status read(const std::string& archive, Package& out, bool library_required = true);

// The Debian architecture of an ELF shared object ("amd64", "arm64", "armhf", "i386"),
// from its header; nullopt when it is not ELF or the machine is unknown.
[[nodiscard]] std::optional<std::string> elfArch(const std::string& bytes);
// The architecture this daemon runs on, in the same terms.
[[nodiscard]] std::string hostArch();

[[nodiscard]] std::string sha256Hex(const std::string& bytes);

}  // namespace storegate::package
