// pos_webhook's registration: descriptor and properties only.
#include "pos_webhook.hpp"

namespace {
using storegate::sdk::Property;
constexpr sg_str kAuth[] = {SG_STR("token"), SG_STR("hmac")};

constexpr sg_property kProperties[] = {
    Property::String("listen", "host:port to listen on; the store LAN address for a real POS")
        .defaultValue("127.0.0.1:8480"),
    Property::String("path", "Where receipts are POSTed").defaultValue("/v1/receipts"),
    Property::Enum(
        "auth",
        "token: Authorization: Bearer <secret>; hmac: X-Signature: sha256=<HMAC of the body>",
        kAuth, 2)
        .defaultValue("token"),
    Property::String("secret", "Shared token or HMAC key, at least 16 characters")
        .required()
        .secret(),
    Property::Size("max_body", "Largest request body accepted")
        .defaultValue("1MiB")
        .range(1024, 16 << 20),
    Property::Int("max_connections",
                  "Worker threads: requests handled at once (256 more connections may queue)")
        .defaultValue("8")
        .range(1, 256),
    Property::Duration("timeout",
                       "One socket read or write; how long an idle keep-alive "
                       "connection is kept")
        .defaultValue("10s")
        .range(100, 300'000),
    Property::Duration("request_timeout",
                       "The whole request head must arrive within it; a body gets it plus its "
                       "size at 16 KiB/s; then the connection is closed")
        .defaultValue("10s")
        .range(100, 300'000),
    Property::Int("max_connections_per_address",
                  "Connections one client address may have in work (0: max_connections); a new "
                  "one closes that address's oldest idle one, or is answered 503")
        .defaultValue("0")
        .range(0, 256),
    Property::String("quarantine_dir", "Where rejected receipts are written with their reasons")
        .required()
        .path(),
    Property::String("till", "Till id for receipts that carry none"),
    Property::Bool("check_total",
                   "Reject receipts whose total differs from their items by more than 0.01")
        .defaultValue("true"),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "pos_webhook",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Receipts pushed by the POS over HTTP (JSON), answered only once durable",
    .kinds = SG_KIND_SOURCE,
    // Poco keeps process-wide state (socket initialisation, thread-pool defaults): retire, never
    // unload.
    .flags = 0,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::pos_webhook::PosWebhook, kInfo)
