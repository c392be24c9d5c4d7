// platform_http: the store's uplink to the brand's HTTP API.
//
// Sink: each delivered batch is one POST of application/cloudevents-batch+json (gzip
// optional), signed with a bearer token and/or an HMAC header. 2xx accepts the batch;
// network errors, 408/425/429/5xx — and 401/403/404, which mean the gateway is
// misconfigured, not that the events are bad — are retried (Retry-After honoured); other
// 4xx reject events: a multi-event batch is re-sent one event at a time so only the
// events the API refuses are dead-lettered. Source: the member roster and coupons are
// pulled periodically with If-None-Match and kept in plugin state; a changed roster is
// emitted as store.roster.update events, changed coupons as store.coupons.update.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <storegate/sdk.hpp>
#include <string>

#include "poller.hpp"         // plugins/common
#include "privacy.hpp"        // platform_common
#include "pseudonymizer.hpp"  // platform_common
#include "tls_client.hpp"     // plugins/common

namespace httplib {
class Client;
}

namespace storegate::plugins::platform_http {

// "https://api.example.com:8443/v1/stores/events" split for the client.
struct Endpoint {
  std::string origin;  // scheme://host[:port]
  std::string path;    // at least "/"
  bool tls = false;
  static Endpoint parse(const std::string& url, const std::string& property);
};

struct Settings {
  Endpoint endpoint;
  std::chrono::milliseconds timeout{};
  std::chrono::milliseconds connect_timeout{};
  std::string bearer_token;
  std::string hmac_key;
  TlsClient tls;
  bool gzip = false;
  std::chrono::milliseconds max_retry_after{};
  std::optional<Endpoint> roster;
  std::optional<Endpoint> coupons;
  std::chrono::milliseconds pull_interval{};
  size_t roster_chunk = 1000;

  static Settings from(const sdk::Config& c);
};

// What one POST came to.
struct PostResult {
  enum class Kind { kAccepted, kRetry, kRejected };
  Kind kind = Kind::kRetry;
  int status = 0;  // 0: no HTTP answer (network error, timeout)
  std::chrono::milliseconds retry_after{0};
  std::string detail;  // for logs and the dead-letter reason
};

class PlatformHttp final : public sdk::Plugin {
 public:
  PlatformHttp(sdk::Host host, const sdk::Config& config);
  ~PlatformHttp() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override;
  sg_health_level health() override;

 private:
  [[nodiscard]] std::unique_ptr<httplib::Client> makeClient(const Endpoint& e) const;
  PostResult post(const std::string& body);
  sdk::DeliveryOutcome isolate(std::span<const sg_event> events);
  bool pull();
  void pullOne(const Endpoint& e, const std::string& what);
  void problem(const std::string& message);

  const Settings settings_;
  const platform::Pseudonymizer pseudonymizer_;
  std::unique_ptr<httplib::Client> client_;  // deliver's thread only
  Poller poller_;
  std::mutex mu_;
  std::string last_problem_;  // under mu_; empty when the last POST went through
};

}  // namespace storegate::plugins::platform_http
