// sensor_mqtt's registration: descriptor and properties only.
#include "sensor_mqtt.hpp"

namespace {
using storegate::sdk::Property;

constexpr auto kOwn = std::to_array<sg_property>({
    Property::List("mappings",
                   "Topic filters and how their messages become readings, alerts and shelf "
                   "events (see docs/plugins/sensor_mqtt.md)")
        .required(),
    Property::Int("qos", "Subscription QoS (sensors usually publish at 0)")
        .defaultValue("0")
        .range(0, 1),
    Property::Int("queue_limit", "Messages queued for the worker before the broker is held back")
        .defaultValue("20000")
        .range(100, 1'000'000),
    Property::Int("batch", "Events emitted per group commit at most")
        .defaultValue("1000")
        .range(1, 10'000),
    Property::Duration("flush_interval", "Longest a message waits before its batch is emitted")
        .defaultValue("50ms")
        .range(1, 10'000),
    Property::String("esl.command",
                     "store.command name whose events are forwarded to shelf labels")
        .defaultValue("esl.update"),
    Property::String("esl.topic", "Local topic a label update goes to; {label} is the label id")
        .defaultValue("esl/{label}/update"),
    Property::String("quarantine_dir",
                     "Where unreadable messages are kept (JSON Lines with the reason)")
        .path(),
});
constexpr auto kProperties = storegate::plugins::mqtt_link::concat(
    storegate::plugins::mqtt_link::kLinkProperties, kOwn);

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "sensor_mqtt",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Bridge to the store's MQTT sensors: readings, threshold alerts, shelf "
                   "pick-ups; price updates down to electronic shelf labels",
    .kinds = SG_KIND_SOURCE | SG_KIND_SINK,
    // Paho keeps process-wide state and threads: an old build is retired, not unloaded.
    .flags = 0,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::sensor_mqtt::SensorMqtt, kInfo)
