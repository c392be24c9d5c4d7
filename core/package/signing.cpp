#include "package/signing.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <storegate/plugin.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "common/file_io.hpp"

namespace storegate::package {

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string rawPublic(EVP_PKEY* k) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1 || len != 32) return {};
  return std::string(reinterpret_cast<char*>(raw), len);
}

std::string keyId(const std::string& raw_public) {
  return sha256Hex(raw_public).substr(0, 16);
}

Key readKey(const std::filesystem::path& file, bool is_private) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) return Key(nullptr, EVP_PKEY_free);
  EVP_PKEY* k = is_private ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)
                           : PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (k != nullptr && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(k);
    k = nullptr;
  }
  return Key(k, EVP_PKEY_free);
}

}  // namespace

Status generateKey(const std::filesystem::path& prefix, std::string& key_id) {
  const auto priv = prefix.string() + ".key", pub = prefix.string() + ".pub";
  if (std::filesystem::exists(priv) || std::filesystem::exists(pub))
    return Status::invalid(priv + " or " + pub + " exists already; not overwriting a key");
  Key k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
  if (!k) return Status::failed("OpenSSL could not generate an Ed25519 key");
  const mode_t old = ::umask(077);
  FILE* f = std::fopen(priv.c_str(), "w");
  ::umask(old);
  if (f == nullptr) return Status::failed("cannot write " + priv);
  const bool ok = PEM_write_PrivateKey(f, k.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  FILE* g = std::fopen(pub.c_str(), "w");
  if (!ok || g == nullptr) return Status::failed("cannot write " + pub);
  PEM_write_PUBKEY(g, k.get());
  std::fclose(g);
  key_id = keyId(rawPublic(k.get()));
  return Status::success();
}

Status sign(Package& p, const std::filesystem::path& key_file) {
  Key k = readKey(key_file, true);
  if (!k) return Status::invalid(key_file.string() + " is not an Ed25519 private key (PEM)");
  p.manifest.key_id = keyId(rawPublic(k.get()));
  p.manifest_text = p.manifest.toJson().dump(2) + "\n";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len,
                     reinterpret_cast<const unsigned char*>(p.manifest_text.data()),
                     p.manifest_text.size()) != 1)
    return Status::failed("OpenSSL could not sign the manifest");
  p.signature.assign(reinterpret_cast<char*>(sig), len);
  return Status::success();
}

Status TrustStore::add(const std::filesystem::path& pub_file) {
  Key k = readKey(pub_file, false);
  if (!k) return Status::invalid(pub_file.string() + " is not an Ed25519 public key (PEM)");
  const std::string raw = rawPublic(k.get());
  keys_[keyId(raw)] = raw;
  return Status::success();
}

Status TrustStore::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Status::invalid("trusted keys directory " + dir.string() + " does not exist");
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".pub")
      if (Status s = add(e.path()); !s.ok()) return s;
  return Status::success();
}

Status TrustStore::verify(const Package& p, const std::string& expected_name) const {
  const Manifest& m = p.manifest;
  const std::string what = "plugin package " + m.name + " " + m.version;
  if (p.signature.empty())
    return Status::invalid(what +
                           " is not signed; sign it (storegatectl plugin sign) with a key "
                           "this router trusts");
  const auto key = keys_.find(m.key_id);
  if (key == keys_.end())
    return Status::invalid(what + " is signed by key " + m.key_id +
                           ", which this router does not trust (add its .pub to the trusted "
                           "keys directory)");
  Key pub(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(key->second.data()),
                                      key->second.size()),
          EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool good =
      pub && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pub.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(p.signature.data()),
                       p.signature.size(),
                       reinterpret_cast<const unsigned char*>(p.manifest_text.data()),
                       p.manifest_text.size()) == 1;
  if (!good)
    return Status::invalid(what +
                           ": the signature does not match the manifest (altered after "
                           "signing, or signed by another key)");
  if (m.arch != hostArch())
    return Status::invalid(what + " is built for " + m.arch + "; this router is " + hostArch());
  unsigned major = 0, minor = 0;
  if (std::sscanf(m.abi_version.c_str(), "%u.%u", &major, &minor) != 2 || major != SG_ABI_MAJOR)
    return Status::invalid(what + " speaks plugin ABI " + m.abi_version + "; this router speaks " +
                           std::to_string(SG_ABI_MAJOR) + ".0.." + std::to_string(SG_ABI_MAJOR) +
                           "." + std::to_string(SG_ABI_MINOR));
  if (!expected_name.empty() && m.name != expected_name)
    return Status::invalid(what + " is not the plugin " + expected_name);
  return Status::success();
}

Status TrustStore::verifyInstalled(const std::filesystem::path& library) const {
  return verifyInstalled(library, readWholeFile(library).value_or(""));
}

Status TrustStore::verifyInstalled(const std::filesystem::path& library,
                                   const std::string& bytes) const {
  const auto sidecar = library.string() + ".sgm";
  if (!std::filesystem::exists(sidecar))
    return Status::invalid(library.string() + " has no signature (" + sidecar +
                           "); plugin_trust.require_signature is on: install it from a signed "
                           ".sgp package");
  Package p;
  if (Status s = read(readWholeFile(sidecar).value_or(""), p, /*library_required=*/false); !s.ok())
    return Status::invalid(sidecar + ": " + s.message);
  if (Status s = verify(p); !s.ok()) return s;
  if (sha256Hex(bytes) != p.manifest.sha256)
    return Status::invalid(library.string() +
                           " does not match its signed manifest (altered "
                           "after installation?)");
  return Status::success();
}

}  // namespace storegate::package
