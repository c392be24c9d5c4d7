// The admin API's listener: Poco's bounded HTTP server (never cpp-httplib's, whose Debian 12
// build has unfixed request-parsing vulnerabilities; see docs/architecture.md).
//
// Bounds: `threads` workers and `queue` waiting connections; socket and keep-alive
// timeouts (a slow client holds one worker for at most `timeout`); Poco's header limits
// (name 256 B, value 8 KiB, 100 fields); one body of at most `max_body` with a
// Content-Length (chunked and compressed request bodies refused); a rate limit per client
// address. Every request but health needs a bearer token; every change is audited.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "admin/admin_options.hpp"
#include "admin/api.hpp"
#include "admin/audit_log.hpp"
#include "admin/rate_limiter.hpp"
#include "admin/tokens.hpp"
#include "common/status.hpp"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace storegate::admin {

class AdminServer {
 public:
  AdminServer(Daemon& daemon, AdminOptions options);
  ~AdminServer();

  // Opens the token file (making the first token when there is none) and listens.
  Status start();
  void stop();
  [[nodiscard]] int port() const { return port_; }
  // Re-reads the tokens file (SIGHUP); a revoked token stops working without a restart.
  void reloadTokens();

  // Authenticates, rate-limits, routes and audits one request (the server's handler
  // calls this; tests and fuzzers may too).
  ApiResponse handle(ApiRequest& req, const std::string& authorization);
  // The same for a remote request whose token arrived as its SHA-256 (see remote.hpp).
  ApiResponse handleHashed(ApiRequest& req, const std::string& token_sha256);

  // GET /v1/events/follow: server-sent events, one `data:` line per new event, for at most
  // `seconds` (≤ 300) and at most two followers at once (they hold a worker each).
  // Returns false (and fills `refusal`) when the request may not follow.
  bool follow(ApiRequest& req, const std::string& authorization, ApiResponse& refusal,
              const std::function<bool(const std::string& chunk)>& write);

 private:
  // Rate limit and token: a refusal to send, or nullopt (then `authenticated` says whether
  // the token was valid; req.who is set when it was).
  std::optional<ApiResponse> admit(ApiRequest& req, const std::string& authorization,
                                   bool& authenticated);
  ApiResponse dispatch(ApiRequest& req, bool authenticated);

  AdminOptions options_;
  AdminApi api_;
  std::unique_ptr<TokenStore> tokens_;
  RateLimiter limiter_;
  AuditLog audit_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
  Daemon& daemon_;
  std::atomic<int> followers_{0};
};

}  // namespace storegate::admin
