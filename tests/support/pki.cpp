#include "support/pki.hpp"

#include <stdexcept>

#include "support/test_support.hpp"

namespace storegate::test {

namespace {
void openssl(const std::vector<std::string>& args) {
  const auto [code, out] = runProgram("/usr/bin/openssl", args, std::chrono::seconds(60));
  if (code != 0) {
    std::string cmd = "openssl";
    for (const auto& a : args) cmd += " " + a;
    throw std::runtime_error(cmd + " failed (" + std::to_string(code) + "): " + out);
  }
}

void makeCa(const std::filesystem::path& dir, const std::string& name) {
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=storegate test " + name, "-keyout", (dir / (name + ".key")).string(), "-out",
           (dir / (name + ".crt")).string()});
}

void makeLeaf(const std::filesystem::path& dir, const std::string& name, const std::string& ext) {
  const auto key = (dir / (name + ".key")).string();
  const auto csr = (dir / (name + ".csr")).string();
  const auto extfile = (dir / (name + ".ext")).string();
  writeFile(extfile, ext);
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", key, "-out",
           csr});
  openssl({"x509", "-req", "-in", csr, "-CA", (dir / "ca.crt").string(), "-CAkey",
           (dir / "ca.key").string(), "-CAcreateserial", "-days", "2", "-extfile", extfile, "-out",
           (dir / (name + ".crt")).string()});
}
}  // namespace

TestPki makeTestPki(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  makeLeaf(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  makeLeaf(dir, "client", "extendedKeyUsage=clientAuth\n");
  return {dir / "ca.crt",     dir / "other-ca.crt", dir / "server.crt",
          dir / "server.key", dir / "client.crt",   dir / "client.key"};
}

}  // namespace storegate::test
