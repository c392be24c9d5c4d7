// platform_http's registration: descriptor and properties only.
#include "platform_http.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::String("url", "Where batches are POSTed: https://api.example.com/v1/events")
        .required(),
    Property::Duration("timeout", "Longest wait for the answer to one request")
        .defaultValue("10s")
        .range(100, 600'000),
    Property::Duration("connect_timeout", "Longest wait for a connection")
        .defaultValue("5s")
        .range(100, 120'000),
    Property::String("auth.bearer_token", "Sent as Authorization: Bearer <token>").secret(),
    Property::String("auth.hmac_key",
                     "Signs each POST: X-Storegate-Signature: sha256=HMAC(key, "
                     "\"<X-Storegate-Timestamp>.<body>\")")
        .secret(),
    Property::String("tls.ca_file", "PEM file of the CA(s) that signed the server's certificate")
        .path(),
    Property::String("tls.cert_file", "PEM client certificate (with tls.key_file)").path(),
    Property::String("tls.key_file", "PEM private key of the client certificate").path(),
    Property::Bool("tls.verify", "Verify the server's certificate and host name")
        .defaultValue("true"),
    Property::Bool("gzip", "Compress request bodies (Content-Encoding: gzip)")
        .defaultValue("false"),
    Property::Duration("max_retry_after", "Cap on a server's Retry-After")
        .defaultValue("5m")
        .range(0, 86'400'000),
    Property::String("roster_url",
                     "Member roster to pull (ETag / If-None-Match); emitted as "
                     "store.roster.update"),
    Property::String("coupons_url",
                     "Coupons to pull into plugin state; emitted as "
                     "store.coupons.update"),
    Property::Duration("pull_interval", "How often the roster and coupons are pulled")
        .defaultValue("5m")
        .range(100, 86'400'000),
    Property::Int("roster_chunk", "Members per store.roster.update event")
        .defaultValue("1000")
        .range(1, 100'000),
    storegate::plugins::platform::kPseudonymizeProperty,
    storegate::plugins::platform::kHmacKeyProperty,
    storegate::plugins::platform::kPrivacyFieldsProperty,
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "platform_http",
    .version = "1.0.0",
    .vendor = "storegate",
    .description =
        "Uplink to the brand's HTTP API: CloudEvents batches up (retry, Retry-After, "
        "dead letters for refused events), roster and coupons pulled down",
    .kinds = SG_KIND_SINK | SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::platform_http::PlatformHttp, kInfo)
