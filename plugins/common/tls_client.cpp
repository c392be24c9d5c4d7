#include "tls_client.hpp"

namespace storegate::plugins {

TlsClient TlsClient::from(const sdk::Config& c) {
  TlsClient t;
  if (c.isSet("tls.ca_file")) t.ca_file = c.getString("tls.ca_file");
  if (c.isSet("tls.cert_file")) t.cert_file = c.getString("tls.cert_file");
  if (c.isSet("tls.key_file")) t.key_file = c.getString("tls.key_file");
  if (t.cert_file.empty() != t.key_file.empty())
    throw sdk::Error("tls.cert_file and tls.key_file go together: set both or neither",
                     SG_ERR_INVALID);
  t.verify = c.getBool("tls.verify");
  return t;
}

}  // namespace storegate::plugins
