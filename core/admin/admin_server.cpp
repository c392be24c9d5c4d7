#include "admin/admin_server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <iostream>

#include "admin/gateway.hpp"
#include "common/log.hpp"
#include "storegate/http_listener.hpp"

namespace storegate::admin {

namespace {

void send(Poco::Net::HTTPServerResponse& resp, const ApiResponse& r, bool close = false) {
  for (const auto& [k, v] : r.headers) resp.set(k, v);
  sdk::http::Listener::responding(r.body.size());
  sdk::http::send(resp, r.status, r.content_type, r.body, close);
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(AdminServer& server, uint64_t max_body, uint64_t max_upload)
      : server_(server), max_body_(max_body), max_upload_(max_upload) {}

  // Framing (one Content-Length, no chunked or compressed bodies) was checked by the listener.
  // Every refusal made before the body is read closes the connection: an unread body must
  // never be parsed as the next request.
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const uint64_t length =
        req.hasContentLength() ? static_cast<uint64_t>(req.getContentLength64()) : 0;
    // A plugin build may be larger than any JSON body: its own cap.
    const std::string& uri = req.getURI();
    const bool upload = req.getMethod() == "POST" && uri.size() > 7 &&
                        uri.compare(uri.size() - 7, 7, "/upload") == 0;
    const uint64_t cap = upload ? max_upload_ : max_body_;
    if (length > cap) {
      send(resp,
           ApiResponse::error(413, "too_large",
                              "body of " + std::to_string(length) + " bytes exceeds admin." +
                                  (upload ? "max_upload " : "max_body ") + std::to_string(cap)),
           /*close=*/true);
      return;
    }
    ApiRequest r;
    r.method = req.getMethod();
    r.client = req.clientAddress().host().toString();
    try {
      const Poco::URI parsed(req.getURI());
      r.path = parsed.getPath();
      for (const auto& [k, v] : parsed.getQueryParameters()) r.query[k] = v;
    } catch (const Poco::Exception&) {
      send(resp, ApiResponse::error(400, "bad_uri", "the request URI cannot be parsed"), true);
      return;
    }
    // A decoded path must not carry control characters (CRLF smuggled as %0D%0A).
    for (const char c : r.path) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        send(resp, ApiResponse::error(400, "bad_uri", "control characters in the path"), true);
        return;
      }
    }
    const std::string authorization = req.get("Authorization", "");
    if (r.method == "GET" && r.path == "/v1/events/follow") {
      follow(r, authorization, req, resp, length > 0);
      return;
    }
    // Rate limit and token before a byte of the body is read or allocated.
    bool authenticated = false;
    if (auto refused = server_.admit(r, authorization, authenticated)) {
      send(resp, *refused, length > 0);
      return;
    }
    if (length > 0 && !authenticated) {
      send(resp,
           ApiResponse::error(401, "unauthorized",
                              "a request with a body needs Authorization: Bearer <token>"),
           true);
      return;
    }
    if (length > 0) {
      // The route and its role before the body: a viewer's token must not make the daemon
      // take an upload's worth of memory for a request it will refuse.
      if (auto refused = server_.refusalBeforeBody(r, authenticated)) {
        send(resp, *refused, true);
        return;
      }
      sdk::http::Listener::continueIfExpected(req, resp);
      // Grown as bytes arrive, not allocated from the announced length.
      constexpr size_t kChunk = 64 * 1024;
      while (r.body.size() < length) {
        const size_t at = r.body.size();
        const size_t want = std::min<uint64_t>(kChunk, length - at);
        r.body.resize(at + want);
        req.stream().read(r.body.data() + at, static_cast<std::streamsize>(want));
        const auto got = static_cast<size_t>(req.stream().gcount());
        if (got != want) {
          send(resp, ApiResponse::error(400, "truncated", "the body ended before Content-Length"),
               true);
          return;
        }
      }
    }
    sdk::http::Listener::bodyRead();
    send(resp, server_.dispatch(r, authenticated));
  }

 private:
  void follow(ApiRequest& r, const std::string& authorization, Poco::Net::HTTPServerRequest&,
              Poco::Net::HTTPServerResponse& resp, bool has_body) {
    ApiResponse refusal;
    bool started = false;
    const bool ok = server_.follow(r, authorization, refusal, [&](const std::string& chunk) {
      if (!started) {
        sdk::http::Listener::streaming(std::chrono::seconds(300));  // follow's own bound
        resp.setChunkedTransferEncoding(true);
        resp.setContentType("text/event-stream");
        resp.set("Cache-Control", "no-store");
        if (has_body) resp.setKeepAlive(false);
        out_ = &resp.send();
        started = true;
      }
      *out_ << chunk;
      out_->flush();
      return out_->good();
    });
    if (!ok) send(resp, refusal, has_body);
  }

  AdminServer& server_;
  uint64_t max_body_;
  uint64_t max_upload_;
  std::ostream* out_ = nullptr;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(AdminServer& server, uint64_t max_body, uint64_t max_upload)
      : server_(server), max_body_(max_body), max_upload_(max_upload) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(server_, max_body_, max_upload_);
  }

 private:
  AdminServer& server_;
  uint64_t max_body_;
  uint64_t max_upload_;
};

}  // namespace

AdminServer::AdminServer(Gateway& gateway, AdminOptions options)
    : options_(std::move(options)),
      api_(gateway),
      limiter_(options_.rate_per_second, options_.burst),
      audit_(options_.audit_file),
      gw_(gateway) {}

AdminServer::~AdminServer() {
  stop();
}

Status AdminServer::start() {
  std::string error, first;
  tokens_ = TokenStore::open(options_.tokens_file, error, &first);
  if (!tokens_) return Status::failed("admin API: " + error);
  if (!first.empty()) {
    // Printed once, to the terminal only (not to log files): only its hash is kept.
    std::cerr << "storegated: first admin token (shown once, stored hashed in "
              << options_.tokens_file.string() << "):\n  " << first << "\n";
    logInfo("admin", "first admin token created", {{"file", options_.tokens_file.string()}});
  }
  sdk::http::ListenerOptions lo;
  lo.threads = options_.threads;
  lo.queue = options_.queue;
  lo.io_timeout = options_.timeout;
  lo.request_timeout = options_.request_timeout;
  lo.max_per_address = options_.max_connections_per_address;
  try {
    const Poco::Net::SocketAddress addr(options_.listen);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!options_.tls_cert.empty()) {
      Poco::Net::initializeSSL();
      auto ctx = Poco::Net::Context::Ptr(new Poco::Net::Context(
          Poco::Net::Context::TLS_SERVER_USE, options_.tls_key.string(), options_.tls_cert.string(),
          options_.tls_client_ca.string(),
          options_.tls_client_ca.empty() ? Poco::Net::Context::VERIFY_NONE
                                         : Poco::Net::Context::VERIFY_STRICT));
      // Poco consults the SSLManager on every certificate check; without one configured it
      // tries to read an application config and the handshake fails. A client
      // certificate that does not verify is refused.
      // A client certificate names an operator, not the address it connects from.
      ctx->enableExtendedCertificateVerification(false);
      Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject(
          new Poco::Net::RejectCertificateHandler(true));
      Poco::Net::SSLManager::instance().initializeServer(nullptr, reject, ctx);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, ctx);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr);
    }
    port_ = socket->address().port();
    listener_ = std::make_unique<sdk::http::Listener>(
        lo, new Factory(*this, options_.max_body, options_.max_upload));
    listener_->start(*socket);
  } catch (const Poco::Exception& e) {
    listener_.reset();
    return Status::failed("admin API cannot listen on " + options_.listen + ": " + e.displayText() +
                          " (change admin.listen, or admin.enabled: false)");
  }
  logInfo("admin", "admin API listening",
          {{"address", options_.listen}, {"tls", options_.tls_cert.empty() ? "no" : "yes"}});
  return Status::success();
}

void AdminServer::stop() {
  if (listener_) listener_->stop();
  listener_.reset();
}

sdk::http::ListenerStats AdminServer::listenerStats() const {
  return listener_ ? listener_->stats() : sdk::http::ListenerStats{};
}

std::optional<ApiResponse> AdminServer::admit(ApiRequest& req, const std::string& authorization,
                                              bool& authenticated) {
  if (!limiter_.allow(req.client)) {
    ApiResponse r = ApiResponse::error(429, "rate_limited", "too many requests; slow down");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  authenticated = false;
  if (authorization.rfind("Bearer ", 0) == 0 && tokens_) {
    if (auto who = tokens_->check(std::string_view(authorization).substr(7))) {
      req.who = *who;
      authenticated = true;
    }
  }
  return std::nullopt;
}

ApiResponse AdminServer::handle(ApiRequest& req, const std::string& authorization) {
  bool authenticated = false;
  if (auto refused = admit(req, authorization, authenticated)) return *refused;
  return dispatch(req, authenticated);
}

void AdminServer::reloadTokens() {
  if (!tokens_) return;
  std::string error;
  if (tokens_->reload(error))
    logInfo("admin", "tokens reloaded", {{"file", options_.tokens_file.string()}});
  else
    logError("admin", "tokens not reloaded", {{"error", error}});
}

ApiResponse AdminServer::handleHashed(ApiRequest& req, const std::string& token_sha256) {
  bool authenticated = false;
  if (tokens_) {
    if (auto who = tokens_->checkHash(token_sha256)) {
      req.who = *who;
      authenticated = true;
    }
  }
  return dispatch(req, authenticated);
}

std::optional<ApiResponse> AdminServer::refusalBeforeBody(const ApiRequest& req,
                                                          bool authenticated) {
  std::optional<ApiResponse> refused = api_.router().refusal(req, authenticated);
  if (refused) audit(req, authenticated, *refused);
  return refused;
}

ApiResponse AdminServer::dispatch(ApiRequest& req, bool authenticated) {
  ApiResponse r;
  try {
    r = api_.router().dispatch(req, authenticated);
  } catch (const std::exception& e) {
    r = ApiResponse::error(500, "internal", e.what());
  }
  audit(req, authenticated, r);
  return r;
}

void AdminServer::audit(const ApiRequest& req, bool authenticated, const ApiResponse& r) {
  // Every change, and every image that leaves (camera snapshots), is audited.
  if (Router::mutating(req.method) || r.content_type.rfind("image/", 0) == 0) {
    std::string detail;
    if (r.status >= 400) {
      const auto body = nlohmann::json::parse(r.body, nullptr, false);
      if (body.is_object() && body.contains("error")) detail = body["error"].value("message", "");
    }
    audit_.record(authenticated ? req.who.name : "-", roleName(req.who.role), req.client,
                  req.method, req.path, r.status, detail);
  }
}

bool AdminServer::follow(ApiRequest& req, const std::string& authorization, ApiResponse& refusal,
                         const std::function<bool(const std::string&)>& write) {
  bool authenticated = false;
  if (auto refused = admit(req, authorization, authenticated)) {
    refusal = *refused;
    return false;
  }
  if (!authenticated || req.who.role < Role::kViewer) {
    refusal = ApiResponse::error(401, "unauthorized", "send Authorization: Bearer <token>");
    return false;
  }
  if (followers_.fetch_add(1) >= 2) {
    followers_.fetch_sub(1);
    refusal = ApiResponse::error(429, "too_many_followers", "two followers already; try later");
    return false;
  }
  struct Release {  // whatever ends the stream, the slot is given back
    std::atomic<int>& n;
    ~Release() { n.fetch_sub(1); }
  } release{followers_};
  size_t seconds = 60;
  if (auto it = req.query.find("seconds"); it != req.query.end())
    seconds = std::min<size_t>(300, std::strtoul(it->second.c_str(), nullptr, 10));
  uint64_t after = gw_.buffer().stats().last_sequence;
  if (auto it = req.query.find("after"); it != req.query.end())
    after = std::strtoull(it->second.c_str(), nullptr, 10);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  bool open = write(": following\n\n");
  while (open && std::chrono::steady_clock::now() < deadline) {
    if (!gw_.buffer().waitForMore(after, std::chrono::milliseconds(500))) {
      open = write(": keep-alive\n\n");
      continue;
    }
    for (const Event& e : gw_.buffer().readAfter(after, 100, 1 << 20)) {
      nlohmann::json one{{"sequence", e.sequence},
                         {"id", e.id},
                         {"type", e.type},
                         {"source", e.source},
                         {"subject", e.subject}};
      auto data = nlohmann::json::parse(e.data, nullptr, false);
      if (req.who.role < Role::kOperator) maskMemberIds(data);
      if (!data.is_discarded()) one["data"] = std::move(data);
      open = open &&
             write("id: " + std::to_string(e.sequence) + "\ndata: " +
                   one.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n");
      after = e.sequence;
    }
  }
  return true;
}

}  // namespace storegate::admin
