// pos_webhook: an HTTP endpoint on the store LAN that the POS pushes receipts to, on
// Poco's server behind the SDK's guarded listener (never cpp-httplib's: see
// ../../docs/architecture.md). A request is answered 2xx only after its receipts are durable
// in the buffer; every refusal is a 4xx/5xx with a JSON reason. Limits: one body of at most
// `max_body` with one Content-Length (chunked and compressed bodies refused), read only
// after a bearer token is checked; header names/values/count bounded by Poco
// (256 B / 8 KiB / 100); JSON nested at most 64 deep; `max_connections` worker threads and a
// bounded queue; a deadline for the whole request (`request_timeout`), a cap per client
// address, and idle connections shed while others queue (see storegate/http_listener.hpp).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <storegate/http_listener.hpp>
#include <storegate/sdk.hpp>

#include "pos_source.hpp"  // pos_common

namespace storegate::plugins::pos_webhook {
using namespace storegate::plugins::pos;

struct Settings {
  std::string listen;  // host:port
  std::string path;
  bool hmac;  // auth: hmac (X-Signature: sha256=<hex>) instead of a bearer token
  std::string secret;
  uint64_t max_body;
  int max_connections;
  std::chrono::milliseconds timeout;
  std::chrono::milliseconds request_timeout;
  int max_per_address;
  std::filesystem::path quarantine_dir;
  ParseOptions parse;

  static Settings from(const sdk::Config& c);
};

// What one request ends in; exposed for the handler and its tests.
struct Reply {
  int status = 200;
  std::string body;  // JSON
  int retry_after_s = 0;
};

class PosWebhook final : public sdk::Plugin {
 public:
  PosWebhook(sdk::Host host, const sdk::Config& config);
  ~PosWebhook() override;
  void start() override;
  void stop(std::chrono::milliseconds deadline) override;

  // Everything after the transport: authentication, parsing, emitting, quarantine.
  Reply handle(const std::string& authorization, const std::string& signature,
               const std::string& body);
  // Whether a request may send its body: in token mode the token is checked first, so no
  // body is read or allocated for a caller without it (HMAC needs the body to check).
  [[nodiscard]] bool mayReadBody(const std::string& authorization);
  // Adds what the listener closed or refused since the last call to this instance's counters
  // (connections_timed_out, _shed, _evicted, _refused_per_address, requests_bad_framing).
  void publishListenerCounters();
  [[nodiscard]] const Settings& settings() const { return settings_; }

 private:
  const Settings settings_;
  std::unique_ptr<sdk::http::Listener> listener_;
  std::atomic<uint64_t> sequence_{0};
  std::mutex published_mu_;
  sdk::http::ListenerStats published_;  // guarded by published_mu_
};

}  // namespace storegate::plugins::pos_webhook
