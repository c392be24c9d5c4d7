// pos_webhook's transport (Poco request handler) and its request logic.
#include "pos_webhook.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace storegate::plugins::pos_webhook {

namespace {

nlohmann::json error(const std::string& code, const std::string& message) {
  return {{"error", code}, {"message", message}};
}

bool equalConstantTime(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xF]);
  }
  return hex;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(PosWebhook& plugin) : plugin_(plugin) {}

  // Framing (one Content-Length of digits, no Transfer-Encoding) was checked by the listener.
  // A refusal before the body is read closes the connection, so the unread body is never
  // parsed as a next request.
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const Settings& s = plugin_.settings();
    Reply reply;
    bool close = true;
    if (req.getURI() != s.path) {
      reply = {404, error("not_found", "receipts are accepted at " + s.path).dump()};
    } else if (req.getMethod() != Poco::Net::HTTPRequest::HTTP_POST) {
      reply = {405, error("method_not_allowed", "use POST").dump()};
      resp.set("Allow", "POST");
    } else if (!req.hasContentLength()) {
      reply = {411, error("length_required", "send a Content-Length").dump()};
    } else if (req.getContentLength64() > static_cast<Poco::Int64>(s.max_body)) {
      reply = {413, error("too_large", "body of " + std::to_string(req.getContentLength64()) +
                                           " bytes exceeds max_body " + std::to_string(s.max_body))
                        .dump()};
    } else if (!plugin_.mayReadBody(req.get("Authorization", ""))) {
      reply = {401, error("unauthorized", "Authorization must be Bearer <secret>").dump()};
    } else {
      sdk::http::Listener::continueIfExpected(req, resp);
      std::string body(static_cast<size_t>(req.getContentLength64()), '\0');
      req.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
      if (static_cast<size_t>(req.stream().gcount()) != body.size()) {
        reply = {400, error("truncated", "the body ended before Content-Length").dump()};
      } else {
        close = false;
        sdk::http::Listener::bodyRead();
        reply = plugin_.handle(req.get("Authorization", ""), req.get("X-Signature", ""), body);
      }
    }
    if (reply.retry_after_s > 0) resp.set("Retry-After", std::to_string(reply.retry_after_s));
    sdk::http::Listener::responding(reply.body.size());
    sdk::http::send(resp, reply.status, "application/json", reply.body, close);
    plugin_.publishListenerCounters();
  }

 private:
  PosWebhook& plugin_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(PosWebhook& plugin) : plugin_(plugin) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(plugin_);
  }

 private:
  PosWebhook& plugin_;
};

}  // namespace

Settings Settings::from(const sdk::Config& c) {
  Settings s;
  s.listen = c.getString("listen");
  s.path = c.getString("path");
  s.hmac = c.getString("auth") == "hmac";
  s.secret = c.getString("secret");
  s.max_body = c.getSize("max_body");
  s.max_connections = static_cast<int>(c.getInt("max_connections"));
  s.timeout = c.getDuration("timeout");
  s.request_timeout = c.getDuration("request_timeout");
  s.max_per_address = static_cast<int>(c.getInt("max_connections_per_address"));
  s.quarantine_dir = c.getString("quarantine_dir");
  s.parse.default_till = c.isSet("till") ? c.getString("till") : std::string();
  s.parse.check_total = c.getBool("check_total");
  if (s.secret.size() < 16)
    throw sdk::Error("secret must be at least 16 characters", SG_ERR_INVALID);
  return s;
}

PosWebhook::PosWebhook(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)), settings_(Settings::from(config)) {}

PosWebhook::~PosWebhook() = default;

void PosWebhook::start() {
  std::error_code ec;
  std::filesystem::create_directories(settings_.quarantine_dir, ec);
  if (ec)
    throw sdk::Error("cannot create " + settings_.quarantine_dir.string() + ": " + ec.message());
  sdk::http::ListenerOptions lo;
  lo.threads = settings_.max_connections;
  lo.queue = 256;  // a queued connection costs one descriptor; see the listener's shedding
  lo.io_timeout = settings_.timeout;
  lo.request_timeout = settings_.request_timeout;
  lo.max_per_address = settings_.max_per_address;
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(settings_.listen), 256);
    listener_ = std::make_unique<sdk::http::Listener>(lo, new Factory(*this));
    listener_->start(socket);
  } catch (const Poco::Exception& e) {
    listener_.reset();
    throw sdk::Error("cannot listen on " + settings_.listen + ": " + e.displayText());
  }
  host().info("accepting receipts on http://" + settings_.listen + settings_.path);
}

void PosWebhook::stop(std::chrono::milliseconds) {
  if (listener_) listener_->stop();  // the contract: no handler thread outlives stop
  publishListenerCounters();
  listener_.reset();
}

void PosWebhook::publishListenerCounters() {
  if (!listener_) return;
  const sdk::http::ListenerStats now = listener_->stats();
  std::lock_guard lock(published_mu_);
  const auto add = [&](const char* name, uint64_t current, uint64_t& last) {
    if (current > last) host().counterAdd(name, static_cast<double>(current - last));
    last = current;
  };
  add("connections_timed_out", now.timed_out, published_.timed_out);
  add("connections_shed", now.shed, published_.shed);
  add("connections_evicted", now.evicted, published_.evicted);
  add("connections_refused_per_address", now.refused_per_address, published_.refused_per_address);
  add("requests_bad_framing", now.refused_framing, published_.refused_framing);
}

bool PosWebhook::mayReadBody(const std::string& authorization) {
  if (settings_.hmac) return true;
  if (equalConstantTime(authorization, "Bearer " + settings_.secret)) return true;
  host().counterAdd("requests_unauthorized");
  return false;
}

Reply PosWebhook::handle(const std::string& authorization, const std::string& signature,
                         const std::string& body) {
  const bool authorized =
      settings_.hmac
          ? equalConstantTime(signature, "sha256=" + hmacSha256Hex(settings_.secret, body))
          : equalConstantTime(authorization, "Bearer " + settings_.secret);
  if (!authorized) {
    host().counterAdd("requests_unauthorized");
    return {401, error("unauthorized", settings_.hmac
                                           ? "X-Signature must be sha256=<hex HMAC of the body>"
                                           : "Authorization must be Bearer <secret>")
                     .dump()};
  }
  const ParseResult parsed = parseJsonReceipts(body, settings_.parse);
  if (!parsed.fatal.empty()) {
    host().counterAdd("requests_malformed");
    return {400, error("invalid_json", parsed.fatal).dump()};
  }
  const std::vector<sdk::Event> events = toEvents(parsed.receipts);
  if (!events.empty()) {
    const sg_status s = host().emitBatch(events);
    if (s == SG_ERR_BACKPRESSURE) return {503, error("busy", "buffer full; retry later").dump(), 5};
    if (s != SG_OK)
      return {500, error("not_stored", "the gateway could not store the receipts").dump()};
    host().counterAdd("receipts_emitted", static_cast<double>(events.size()));
  }
  if (parsed.rejected.empty()) return {200, nlohmann::json({{"accepted", events.size()}}).dump()};
  quarantine(host(), settings_.quarantine_dir,
             host().instanceName() + "-" + std::to_string(host().nowUnixNs()) + "-" +
                 std::to_string(sequence_.fetch_add(1)),
             parsed.rejected);
  nlohmann::json reasons = nlohmann::json::array();
  for (const Rejected& r : parsed.rejected)
    reasons.push_back({{"where", r.where}, {"reason", r.reason}});
  return {422,
          nlohmann::json(
              {{"error", "invalid_receipts"}, {"accepted", events.size()}, {"rejected", reasons}})
              .dump()};
}

}  // namespace storegate::plugins::pos_webhook
