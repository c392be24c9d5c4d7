#include "ctl/package_commands.hpp"

#include <iostream>

#include "common/file_io.hpp"
#include "package/signing.hpp"
#include "plugin/library.hpp"
#include "plugin/properties.hpp"

namespace storegate::ctl {

namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2;

// "--flag value" from the arguments after the verb.
std::string option(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 2; i + 1 < args.size(); ++i)
    if (args[i] == flag) return args[i + 1];
  return {};
}

// The positional arguments after the verb.
std::vector<std::string> positional(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0) {
      ++i;
      continue;
    }
    out.push_back(args[i]);
  }
  return out;
}

int fail(const std::string& message, int code = kRefused) {
  std::cerr << "storegatectl: " << message << "\n";
  return code;
}

int keygen(const std::vector<std::string>& pos) {
  if (pos.size() != 1) return fail("usage: plugin keygen PREFIX", kUsage);
  std::string id;
  if (Status s = package::generateKey(pos[0], id); !s.ok()) return fail(s.message);
  std::cout << pos[0] << ".key (keep it secret) and " << pos[0] << ".pub (give it to routers): key "
            << id << "\n";
  return kOk;
}

// Describes the library at `path` in a package (unsigned). Cross-built libraries cannot be
// loaded here, so their name and version come from --name/--version.
int describe(const std::vector<std::string>& args, const std::string& path, package::Package& p) {
  const auto bytes = readWholeFile(path);
  if (!bytes) return fail("cannot read " + path);
  const auto arch = package::elfArch(*bytes);
  if (!arch) return fail(path + " is not an ELF shared object for a known architecture");
  package::Manifest& m = p.manifest;
  m.arch = *arch;
  m.sha256 = package::sha256Hex(*bytes);
  m.size = bytes->size();
  if (*arch == package::hostArch()) {
    std::string error;
    auto lib = PluginLibrary::open(std::filesystem::absolute(path), error);
    if (!lib) return fail(error);
    m.name = lib->info().name;
    m.version = lib->info().version;
    m.abi_version = abiVersionText(lib->info().abi_version);
    m.schema = propertiesToJsonSchema(lib->info().properties);
  } else {
    m.name = option(args, "--name");
    m.version = option(args, "--version");
    if (m.name.empty() || m.version.empty())
      return fail(path + " is built for " + *arch + ", not this machine (" + package::hostArch() +
                      "): give --name and --version",
                  kUsage);
    m.abi_version = std::to_string(SG_ABI_MAJOR) + "." + std::to_string(SG_ABI_MINOR);
  }
  p.manifest_text = m.toJson().dump(2) + "\n";
  p.library = *bytes;
  return kOk;
}

int pack(const std::vector<std::string>& args, const std::vector<std::string>& pos) {
  if (pos.empty() || pos.size() > 2)
    return fail("usage: plugin pack LIBRARY.so [OUT.sgp] [--name N --version V]", kUsage);
  package::Package p;
  if (int code = describe(args, pos[0], p); code != kOk) return code;
  const package::Manifest& m = p.manifest;
  const std::string out =
      pos.size() == 2 ? pos[1] : m.name + "-" + m.version + "-" + m.arch + ".sgp";
  if (Status s = writeFileDurably(out, package::write(p)); !s.ok()) return fail(s.message);
  std::cout << out << ": " << m.name << " " << m.version << " (" << m.arch << ", ABI "
            << m.abi_version << "), unsigned: sign it with plugin sign\n";
  return kOk;
}

// For distributions that ship plugins in their own packages (the .deb): sign a library in
// place, writing the sidecar the daemon checks.
int seal(const std::vector<std::string>& args, const std::vector<std::string>& pos) {
  const std::string key = option(args, "--key");
  if (pos.size() != 1 || key.empty())
    return fail("usage: plugin seal LIBRARY.so --key PREFIX.key", kUsage);
  package::Package p;
  if (int code = describe(args, pos[0], p); code != kOk) return code;
  if (Status s = package::sign(p, key); !s.ok()) return fail(s.message);
  if (Status s = writeFileDurably(pos[0] + ".sgm", package::write(p, /*with_library=*/false));
      !s.ok())
    return fail(s.message);
  std::cout << pos[0] << ".sgm: " << p.manifest.name << " " << p.manifest.version
            << " signed by key " << p.manifest.key_id << "\n";
  return kOk;
}

int sign(const std::vector<std::string>& args, const std::vector<std::string>& pos) {
  const std::string key = option(args, "--key");
  if (pos.size() != 1 || key.empty())
    return fail("usage: plugin sign PACKAGE.sgp --key PREFIX.key", kUsage);
  const auto bytes = readWholeFile(pos[0]);
  if (!bytes) return fail("cannot read " + pos[0]);
  package::Package p;
  if (Status s = package::read(*bytes, p); !s.ok()) return fail(pos[0] + ": " + s.message);
  if (Status s = package::sign(p, key); !s.ok()) return fail(s.message);
  if (Status s = writeFileDurably(pos[0], package::write(p)); !s.ok()) return fail(s.message);
  std::cout << pos[0] << ": signed by key " << p.manifest.key_id << "\n";
  return kOk;
}

int verify(const std::vector<std::string>& args, const std::vector<std::string>& pos) {
  const std::string dir = option(args, "--trusted-keys"), pub = option(args, "--key");
  if (pos.size() != 1 || (dir.empty() == pub.empty()))
    return fail("usage: plugin verify PACKAGE.sgp (--trusted-keys DIR | --key PREFIX.pub)", kUsage);
  package::TrustStore trust;
  if (Status s = dir.empty() ? trust.add(pub) : trust.load(dir); !s.ok()) return fail(s.message);
  const auto bytes = readWholeFile(pos[0]);
  if (!bytes) return fail("cannot read " + pos[0]);
  package::Package p;
  if (Status s = package::read(*bytes, p); !s.ok()) return fail(pos[0] + ": " + s.message);
  if (Status s = trust.verify(p); !s.ok()) return fail(s.message);
  const package::Manifest& m = p.manifest;
  std::cout << pos[0] << ": OK: " << m.name << " " << m.version << " (" << m.arch << ", ABI "
            << m.abi_version << "), signed by trusted key " << m.key_id << "\n";
  return kOk;
}

}  // namespace

bool isPackageCommand(const std::vector<std::string>& args) {
  return args.size() >= 2 && args[0] == "plugin" &&
         (args[1] == "keygen" || args[1] == "pack" || args[1] == "sign" || args[1] == "verify" ||
          args[1] == "seal");
}

int runPackageCommand(const std::vector<std::string>& args) {
  const auto pos = positional(args);
  if (args[1] == "keygen") return keygen(pos);
  if (args[1] == "pack") return pack(args, pos);
  if (args[1] == "sign") return sign(args, pos);
  if (args[1] == "seal") return seal(args, pos);
  return verify(args, pos);
}

}  // namespace storegate::ctl
