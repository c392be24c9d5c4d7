// platform_mqtt's registration: descriptor and properties only.
#include "platform_mqtt.hpp"

namespace {
using storegate::sdk::Property;

constexpr auto kOwn = std::to_array<sg_property>({
    Property::Int("qos",
                  "1: an event counts as sent when the broker acknowledged it; 0: once written "
                  "to the socket (may be lost)")
        .defaultValue("1")
        .range(0, 1),
    Property::Bool("clean_session",
                   "Start each connection without the broker's stored session (commands sent "
                   "while offline are then lost)")
        .defaultValue("false"),
    Property::Duration("publish_timeout",
                       "A publish unacknowledged this long marks the link dead (reconnect)")
        .defaultValue("10s")
        .range(100, 600'000),
    Property::String("topic",
                     "Event topic template: {storeid}, {type}, {source}, {subject}, {instance}")
        .defaultValue("stores/{storeid}/events/{type}"),
    Property::Int("batch.max_events",
                  "Events per message: 1 sends each as a CloudEvents object, more as a JSON "
                  "array (consecutive events with the same topic)")
        .defaultValue("1")
        .range(1, 10'000),
    Property::Size("batch.max_bytes", "Largest batched message payload")
        .defaultValue("256KiB")
        .range(1024, 256 * 1024 * 1024),
    Property::String("status_topic",
                     "Retained online/offline status (also the last will); {storeid}, {instance}")
        .defaultValue("stores/{storeid}/status"),
    Property::String("command_topic", "Commands from the cloud, emitted as store.command events")
        .defaultValue("stores/{storeid}/commands"),
    Property::String("roster_topic", "Member roster updates, emitted as store.roster.update events")
        .defaultValue("stores/{storeid}/roster"),
    Property::String("response_topic",
                     "Answers to remote admin requests (store.command.result events)")
        .defaultValue("stores/{storeid}/responses"),
    Property::Int("roster_chunk", "Members per store.roster.update event")
        .defaultValue("1000")
        .range(1, 100'000),
    storegate::plugins::platform::kPseudonymizeProperty,
    storegate::plugins::platform::kHmacKeyProperty,
    storegate::plugins::platform::kPrivacyFieldsProperty,
});
constexpr auto kProperties =
    storegate::plugins::mqtt_link::concat(storegate::plugins::mqtt_link::kLinkProperties, kOwn);

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "platform_mqtt",
    .version = "1.0.0",
    .vendor = "storegate",
    .description =
        "Uplink to the brand's MQTT broker: events up as CloudEvents (acknowledged at "
        "QoS 1), commands and the member roster down",
    .kinds = SG_KIND_SINK | SG_KIND_SOURCE,
    // Paho keeps process-wide state and threads: an old build is retired, not unloaded.
    .flags = 0,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::platform_mqtt::PlatformMqtt, kInfo)
