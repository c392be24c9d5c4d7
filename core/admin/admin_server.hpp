// The admin API's listener: Poco's HTTP server behind the SDK's guarded listener (never
// cpp-httplib's, whose Debian 12 build has unfixed request-parsing vulnerabilities; see
// docs/architecture.md).
//
// Bounds: `threads` workers and `queue` waiting connections; a deadline for the whole request
// head (`request_timeout`) and a minimum rate for bodies and answers; idle keep-alive for
// `timeout`; a cap of connections per client address; waiting connections shed while others
// queue; Poco's header limits (name 256 B, value 8 KiB, 100 fields); one body of at most
// `max_body` with one Content-Length (chunked and compressed bodies refused), read only after
// the token is checked; a refusal before the body closes the connection; a rate limit per
// client address. Every request but health needs a bearer token; every change is audited.
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

namespace storegate::sdk::http {
class Listener;
struct ListenerStats;
}  // namespace storegate::sdk::http

namespace storegate::admin {

class Gateway;

class AdminServer {
 public:
  AdminServer(Gateway& gateway, AdminOptions options);
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

  // Rate limit and token: a refusal to send, or nullopt (then `authenticated` says whether
  // the token was valid; req.who is set when it was). The listener calls this before it
  // reads a body.
  std::optional<ApiResponse> admit(ApiRequest& req, const std::string& authorization,
                                   bool& authenticated);
  // Routes and audits an admitted request.
  ApiResponse dispatch(ApiRequest& req, bool authenticated);
  // The refusal the route would answer (404, 405, 401, 403), audited; before a body is read.
  std::optional<ApiResponse> refusalBeforeBody(const ApiRequest& req, bool authenticated);

  // Connections the listener closed or refused (slow, idle under load, per address, framing).
  [[nodiscard]] sdk::http::ListenerStats listenerStats() const;

 private:
  AdminOptions options_;
  AdminApi api_;
  std::unique_ptr<TokenStore> tokens_;
  RateLimiter limiter_;
  AuditLog audit_;
  void audit(const ApiRequest& req, bool authenticated, const ApiResponse& r);
  std::unique_ptr<sdk::http::Listener> listener_;
  int port_ = 0;
  Gateway& gw_;
  std::atomic<int> followers_{0};
};

}  // namespace storegate::admin
