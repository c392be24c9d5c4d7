// A throwaway PKI for TLS tests, made with the openssl command: a CA, a server certificate
// for 127.0.0.1/localhost and a client certificate, all signed by the CA, plus a second CA
// that signed nothing (to test refusals).
#pragma once

#include <filesystem>

namespace storegate::test {

struct TestPki {
  std::filesystem::path ca_cert;
  std::filesystem::path other_ca_cert;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
};

// Throws std::runtime_error with openssl's output when a step fails.
TestPki makeTestPki(const std::filesystem::path& dir);

}  // namespace storegate::test
