#include "platform_http.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <iomanip>
#include <sstream>

#include "outbound.hpp"  // platform_common
#include "roster.hpp"    // platform_common

namespace storegate::plugins::platform_http {

namespace {
using namespace std::chrono_literals;
constexpr const char* kBatchType = "application/cloudevents-batch+json";
constexpr size_t kMaxCouponEventBytes = 1 << 20;

std::string hmacHex(const std::string& key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

// Retry-After: delay-seconds or an HTTP date (RFC 9110 10.2.3).
std::chrono::milliseconds retryAfter(const httplib::Response& r) {
  if (!r.has_header("Retry-After")) return 0ms;
  const std::string v = r.get_header_value("Retry-After");
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::chrono::seconds(std::stoll(v.substr(0, 9)));
  std::tm tm{};
  std::istringstream in(v);
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return 0ms;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::system_clock::now());
  return std::max(0ms, left);
}

bool retryable(int status) {
  return status == 401 || status == 403 || status == 404 || status == 408 || status == 425 ||
         status == 429 || status >= 500 || (status >= 300 && status < 400);
}

std::string clip(std::string s, size_t n = 200) {
  if (s.size() > n) s = s.substr(0, n) + "…";
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

Endpoint Endpoint::parse(const std::string& url, const std::string& property) {
  Endpoint e;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    e.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    throw sdk::Error(property + " '" + url + "' must start with http:// or https://",
                     SG_ERR_INVALID);
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  if (authority.empty()) throw sdk::Error(property + " '" + url + "' has no host", SG_ERR_INVALID);
  e.origin = (e.tls ? "https://" : "http://") + authority;
  e.path = slash == std::string::npos ? "/" : rest.substr(slash);
  return e;
}

Settings Settings::from(const sdk::Config& c) {
  Settings s;
  s.endpoint = Endpoint::parse(c.getString("url"), "url");
  s.timeout = c.getDuration("timeout");
  s.connect_timeout = c.getDuration("connect_timeout");
  if (c.isSet("auth.bearer_token")) s.bearer_token = c.getString("auth.bearer_token");
  if (c.isSet("auth.hmac_key")) s.hmac_key = c.getString("auth.hmac_key");
  s.tls = TlsClient::from(c);
  s.gzip = c.getBool("gzip");
  s.max_retry_after = c.getDuration("max_retry_after");
  if (c.isSet("roster_url")) s.roster = Endpoint::parse(c.getString("roster_url"), "roster_url");
  if (c.isSet("coupons_url"))
    s.coupons = Endpoint::parse(c.getString("coupons_url"), "coupons_url");
  s.pull_interval = c.getDuration("pull_interval");
  s.roster_chunk = static_cast<size_t>(c.getInt("roster_chunk"));
  return s;
}

PlatformHttp::PlatformHttp(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      settings_(Settings::from(config)),
      pseudonymizer_(platform::pseudonymizerFrom(config)),
      client_(makeClient(settings_.endpoint)),
      poller_(this->host(), settings_.pull_interval) {}

PlatformHttp::~PlatformHttp() = default;

std::unique_ptr<httplib::Client> PlatformHttp::makeClient(const Endpoint& e) const {
  auto cli = settings_.tls.cert_file.empty()
                 ? std::make_unique<httplib::Client>(e.origin)
                 : std::make_unique<httplib::Client>(e.origin, settings_.tls.cert_file,
                                                     settings_.tls.key_file);
  const auto secs = [](std::chrono::milliseconds d, auto set) {
    set(static_cast<time_t>(d.count() / 1000), static_cast<time_t>(d.count() % 1000 * 1000));
  };
  secs(settings_.connect_timeout, [&](time_t s, time_t us) { cli->set_connection_timeout(s, us); });
  secs(settings_.timeout, [&](time_t s, time_t us) { cli->set_read_timeout(s, us); });
  secs(settings_.timeout, [&](time_t s, time_t us) { cli->set_write_timeout(s, us); });
  cli->set_tcp_nodelay(true);  // small POSTs stall behind Nagle otherwise
  cli->set_keep_alive(true);
  if (e.tls) {
    if (!settings_.tls.ca_file.empty()) cli->set_ca_cert_path(settings_.tls.ca_file);
    cli->enable_server_certificate_verification(settings_.tls.verify);
  }
  return cli;
}

void PlatformHttp::start() {
  if (settings_.roster || settings_.coupons) poller_.start([this] { return pull(); });
}

void PlatformHttp::stop(std::chrono::milliseconds) {
  poller_.stop();
  client_->stop();
}

void PlatformHttp::problem(const std::string& message) {
  std::lock_guard lock(mu_);
  if (message != last_problem_) {
    host().warn(message);
  }
  host().setError(message);
  last_problem_ = message;
}

PostResult PlatformHttp::post(const std::string& body) {
  httplib::Headers headers{{"User-Agent", "storegate"}};
  if (!settings_.bearer_token.empty())
    headers.emplace("Authorization", "Bearer " + settings_.bearer_token);
  if (!settings_.hmac_key.empty()) {
    // Signed over "<timestamp>.<body>" (uncompressed) so a captured request cannot be
    // replayed later with a fresh timestamp.
    const std::string ts = std::to_string(host().nowUnixNs() / 1'000'000'000);
    headers.emplace("X-Storegate-Timestamp", ts);
    headers.emplace("X-Storegate-Signature",
                    "sha256=" + hmacHex(settings_.hmac_key, ts + "." + body));
  }
  client_->set_compress(settings_.gzip);
  const auto res = client_->Post(settings_.endpoint.path, headers, body, kBatchType);
  PostResult r;
  if (!res) {
    r.detail = "POST " + settings_.endpoint.origin + settings_.endpoint.path +
               " failed: " + httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  if (res->status >= 200 && res->status < 300) {
    r.kind = PostResult::Kind::kAccepted;
    return r;
  }
  r.detail = "HTTP " + std::to_string(res->status) + " from " + settings_.endpoint.origin +
             settings_.endpoint.path + ": " + clip(res->body);
  if (retryable(res->status)) {
    r.retry_after = std::min(retryAfter(*res), settings_.max_retry_after);
    if (res->status == 401 || res->status == 403)
      r.detail += " (check auth.bearer_token / auth.hmac_key)";
    else if (res->status == 404 || (res->status >= 300 && res->status < 400))
      r.detail += " (check url)";
    return r;
  }
  r.kind = PostResult::Kind::kRejected;
  return r;
}

sdk::DeliveryOutcome PlatformHttp::deliver(std::span<const sg_event> events) {
  const int64_t now = host().nowUnixNs();
  std::string body = "[";
  size_t sendable = 0;
  size_t expired = 0;
  for (const sg_event& e : events) {
    const auto verdict = platform::classify(e, host().instanceName(), now);
    if (verdict == platform::Verdict::kExpired) ++expired;
    if (verdict != platform::Verdict::kSend) continue;
    if (sendable++ > 0) body += ",";
    body += platform::renderCloudEvent(e, pseudonymizer_);
  }
  body += "]";
  if (sendable == 0) {
    if (expired > 0) host().counterAdd("events_expired", static_cast<double>(expired));
    return sdk::DeliveryOutcome::all(events.size());
  }
  const PostResult r = post(body);
  switch (r.kind) {
    case PostResult::Kind::kAccepted: {
      std::lock_guard lock(mu_);
      last_problem_.clear();
      host().counterAdd("posts_accepted");
      host().counterAdd("events_posted", static_cast<double>(sendable));
      if (expired > 0) host().counterAdd("events_expired", static_cast<double>(expired));
      return sdk::DeliveryOutcome::all(events.size());
    }
    case PostResult::Kind::kRetry:
      host().counterAdd(r.status == 0 ? "network_errors" : "posts_retried");
      problem(r.detail);
      return sdk::DeliveryOutcome::retry(0, r.retry_after);
    case PostResult::Kind::kRejected:
      host().counterAdd("posts_rejected");
      if (sendable > 1) return isolate(events);
      break;
  }
  // One event was sent and refused: find it (others in the batch were held back).
  size_t bad = 0;
  while (platform::classify(events[bad], host().instanceName(), now) != platform::Verdict::kSend)
    ++bad;
  host().counterAdd("events_rejected");
  problem(r.detail);
  return sdk::DeliveryOutcome::reject(bad);
}

// The API refused a batch: send its events one by one, so only the refused ones are
// dead-lettered. Ends at the first refusal (the host dead-letters it and redelivers the
// rest) or at the first retryable failure.
sdk::DeliveryOutcome PlatformHttp::isolate(std::span<const sg_event> events) {
  const int64_t now = host().nowUnixNs();
  for (size_t i = 0; i < events.size(); ++i) {
    if (platform::classify(events[i], host().instanceName(), now) != platform::Verdict::kSend)
      continue;
    const PostResult r = post("[" + platform::renderCloudEvent(events[i], pseudonymizer_) + "]");
    if (r.kind == PostResult::Kind::kAccepted) {
      host().counterAdd("events_posted");
      continue;
    }
    problem(r.detail);
    if (r.kind == PostResult::Kind::kRetry) return sdk::DeliveryOutcome::retry(i, r.retry_after);
    host().counterAdd("events_rejected");
    return sdk::DeliveryOutcome::reject(i);
  }
  return sdk::DeliveryOutcome::all(events.size());
}

bool PlatformHttp::pull() {
  if (settings_.roster) pullOne(*settings_.roster, "roster");
  if (settings_.coupons) pullOne(*settings_.coupons, "coupons");
  return false;
}

void PlatformHttp::pullOne(const Endpoint& e, const std::string& what) {
  auto cli = makeClient(e);
  httplib::Headers headers{{"Accept", "application/json"}};
  if (!settings_.bearer_token.empty())
    headers.emplace("Authorization", "Bearer " + settings_.bearer_token);
  const std::string etag_key = what + ".etag";
  const auto etag = host().stateGet(etag_key);
  if (etag) headers.emplace("If-None-Match", *etag);
  const auto res = cli->Get(e.path, headers);
  const std::string where = "GET " + e.origin + e.path;
  if (!res) throw sdk::Error(where + " failed: " + httplib::to_string(res.error()));
  if (res->status == 304) {
    host().counterAdd(what + "_unchanged");
    return;
  }
  if (res->status != 200)
    throw sdk::Error(where + ": HTTP " + std::to_string(res->status) + " " + clip(res->body));

  std::vector<sdk::Event> events;
  if (what == "roster") {
    platform::RosterUpdate update;
    try {
      update = platform::parseRosterUpdate(res->body);
    } catch (const sdk::Error& err) {
      host().counterAdd("roster_rejected");
      throw sdk::Error(where + ": " + err.what());
    }
    events = platform::rosterEvents(update, settings_.roster_chunk);
  } else {
    const nlohmann::json doc = sdk::jsonNesting(res->body) > sdk::kMaxJsonDepth
                                   ? nlohmann::json(nlohmann::json::value_t::discarded)
                                   : nlohmann::json::parse(res->body, nullptr, false);
    if (doc.is_discarded()) {
      host().counterAdd("coupons_rejected");
      throw sdk::Error(where + ": coupons are not valid JSON (or nest deeper than 64)");
    }
    if (host().statePut("coupons", res->body) != SG_OK)
      throw sdk::Error("cannot keep the coupons in plugin state");
    if (res->body.size() <= kMaxCouponEventBytes) {
      sdk::Event ev;
      ev.type = "store.coupons.update";
      ev.data = res->body;
      events.push_back(std::move(ev));
    }
  }
  if (!events.empty() && host().emitBatch(events) != SG_OK)
    throw sdk::Error("cannot store the pulled " + what + " (buffer full?)");
  // Only once the content is durable does the ETag move: a crash in between pulls again.
  if (res->has_header("ETag"))
    sdk::ignore(host().statePut(etag_key, res->get_header_value("ETag")),
                "without the ETag the next poll fetches the whole document again");
  host().counterAdd(what + "_updates");
}

sg_health_level PlatformHttp::health() {
  std::lock_guard lock(mu_);
  if (!last_problem_.empty()) {
    host().setError(last_problem_);
    return SG_HEALTH_DEGRADED;
  }
  return poller_.health();
}

}  // namespace storegate::plugins::platform_http
