// pos_webhook: an HTTP endpoint on the store LAN that the POS pushes receipts to, on
// Poco's bounded server (never cpp-httplib's: see ../../docs/architecture.md). A request
// is answered 2xx only after its receipts are durable in the buffer; every refusal is a
// 4xx/5xx with a JSON reason. Limits: one body of at most `max_body`, a Content-Length
// required (chunked and compressed bodies refused), header names/values/count bounded by
// Poco (256 B / 8 KiB / 100), `max_connections` worker threads and a bounded queue,
// socket timeouts.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <filesystem>
#include <memory>
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
  [[nodiscard]] const Settings& settings() const { return settings_; }

 private:
  const Settings settings_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<uint64_t> sequence_{0};
};

}  // namespace storegate::plugins::pos_webhook
