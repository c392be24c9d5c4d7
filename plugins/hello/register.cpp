// hello's registration: descriptor and properties only.
#include "hello.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::String("greeting", "What each event says").defaultValue("hello, store").reloadable(),
    Property::Duration("interval", "Time between two events")
        .defaultValue("1s")
        .range(10, 3'600'000)
        .reloadable(),
    Property::Int("count", "Events to emit before going quiet; 0 means forever")
        .defaultValue("0")
        .min(0),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "hello",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Emits a numbered greeting at a fixed interval (the SDK's smallest example)",
    .kinds = SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::hello::Hello, kInfo)
