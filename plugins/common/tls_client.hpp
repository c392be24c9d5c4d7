// The TLS client settings the uplink plugins share (`tls.ca_file`, `tls.cert_file`,
// `tls.key_file`, `tls.verify`), read and checked once for all of them.
#pragma once

#include <storegate/sdk.hpp>
#include <string>

namespace storegate::plugins {

struct TlsClient {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // client certificate; with key_file or not at all
  std::string key_file;
  bool verify = true;

  // Throws sdk::Error (SG_ERR_INVALID) when only one of cert_file and key_file is set.
  static TlsClient from(const sdk::Config& c);
};

}  // namespace storegate::plugins
