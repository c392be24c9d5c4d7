#include "package/sgp.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace storegate::package {

using nlohmann::json;

namespace {

constexpr size_t kBlock = 512;

void octal(char* field, size_t width, uint64_t value) {
  // width − 1 digits and a NUL, as ustar wants.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

std::string header(const std::string& name, size_t size) {
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());
  octal(&h[100], 8, 0644);
  octal(&h[108], 8, 0);
  octal(&h[116], 8, 0);
  octal(&h[124], 12, size);
  octal(&h[136], 12, 0);
  h[156] = '0';
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(&h[148], 8, "%06o", sum);
  return std::string(h.data(), h.size());
}

void member(std::string& out, const std::string& name, const std::string& body) {
  out += header(name, body.size());
  out += body;
  out.append((kBlock - body.size() % kBlock) % kBlock, '\0');
}

std::optional<uint64_t> parseOctal(const char* field, size_t width) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i, any = true)
    v = v * 8 + (field[i] - '0');
  if (!any) return std::nullopt;
  return v;
}

}  // namespace

json Manifest::toJson() const {
  return {
      {"format", format}, {"name", name},     {"version", version}, {"abi_version", abi_version},
      {"arch", arch},     {"sha256", sha256}, {"size", size},       {"schema", schema},
      {"key_id", key_id}};
}

Status Manifest::fromJson(const std::string& text, Manifest& out) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::invalid("manifest.json is not a JSON object");
  for (const char* key : {"name", "version", "abi_version", "arch", "sha256"})
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
      return Status::invalid(std::string("manifest.json: '") + key +
                             "' must be a non-empty string");
  if (j.value("format", 0) != 1)
    return Status::invalid("manifest.json: format " + j.value("format", json(0)).dump() +
                           " is not 1 (a newer storegatectl made it?)");
  out.format = 1;
  out.name = j["name"];
  out.version = j["version"];
  out.abi_version = j["abi_version"];
  out.arch = j["arch"];
  out.sha256 = j["sha256"];
  out.size = j.value("size", uint64_t{0});
  out.schema = j.value("schema", json());
  out.key_id = j.value("key_id", "");
  if (out.sha256.size() != 64 ||
      out.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Status::invalid("manifest.json: 'sha256' must be 64 lower-case hex digits");
  return Status::success();
}

std::string write(const Package& p, bool with_library) {
  std::string out;
  member(out, "manifest.json", p.manifest_text);
  if (with_library) member(out, "plugin.so", p.library);
  if (!p.signature.empty()) member(out, "manifest.sig", p.signature);
  out.append(2 * kBlock, '\0');  // end of archive
  return out;
}

Status read(const std::string& archive, Package& out, bool library_required) {
  out = Package{};
  size_t at = 0;
  bool have_manifest = false, have_library = false;
  while (at + kBlock <= archive.size()) {
    const char* h = archive.data() + at;
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) break;  // end
    if (std::memcmp(h + 257, "ustar", 5) != 0)
      return Status::invalid("not a storegate package (no ustar header at byte " +
                             std::to_string(at) + ")");
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (parseOctal(h + 148, 8) != sum) return Status::invalid("package header checksum mismatch");
    const std::string name(h, strnlen(h, 100));
    const auto size = parseOctal(h + 124, 12);
    if (!size) return Status::invalid("package member '" + name + "' has no size");
    const size_t limit = name == "plugin.so" ? kMaxLibraryBytes : kMaxManifestBytes;
    if (*size > limit)
      return Status::invalid("package member '" + name + "' is " + std::to_string(*size) +
                             " bytes (at most " + std::to_string(limit) + ")");
    if (at + kBlock + *size > archive.size()) return Status::invalid("package is truncated");
    std::string body = archive.substr(at + kBlock, *size);
    if (name == "manifest.json" && !have_manifest) {
      out.manifest_text = std::move(body);
      have_manifest = true;
    } else if (name == "plugin.so" && !have_library) {
      out.library = std::move(body);
      have_library = true;
    } else if (name == "manifest.sig" && out.signature.empty()) {
      out.signature = std::move(body);
    } else {
      return Status::invalid("unexpected package member '" + name + "'");
    }
    at += kBlock + ((*size + kBlock - 1) / kBlock) * kBlock;
  }
  if (!have_manifest) return Status::invalid("package has no manifest.json");
  if (library_required && !have_library) return Status::invalid("package has no plugin.so");
  if (Status s = Manifest::fromJson(out.manifest_text, out.manifest); !s.ok()) return s;
  if (have_library && (sha256Hex(out.library) != out.manifest.sha256))
    return Status::invalid("plugin.so does not match the manifest's sha256 (tampered?)");
  return Status::success();
}

std::optional<std::string> elfArch(const std::string& b) {
  if (b.size() < 20 || b.compare(0, 4,
                                 "\x7f"
                                 "ELF") != 0)
    return std::nullopt;
  const bool little = b[5] == 1;
  const auto lo = static_cast<unsigned char>(b[18]), hi = static_cast<unsigned char>(b[19]);
  const unsigned machine = little ? lo | (hi << 8) : (lo << 8) | hi;
  switch (machine) {
    case 62:
      return "amd64";
    case 183:
      return "arm64";
    case 40:
      return "armhf";
    case 3:
      return "i386";
    case 243:
      return "riscv64";
    default:
      return std::nullopt;
  }
}

std::string hostArch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "armhf";
#elif defined(__i386__)
  return "i386";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

std::string sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace storegate::package
