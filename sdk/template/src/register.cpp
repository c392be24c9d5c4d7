// my_plugin's registration: the descriptor and the config properties, as data.
#include "my_plugin.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::String("sensor_id", "Which sensor this instance reads").required(),
    Property::Duration("interval", "Time between two readings")
        .defaultValue("1s")
        .range(100, 3'600'000),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "my_plugin",
    .version = "0.1.0",
    .vendor = "Your Company",
    .description = "Reads a shelf weight sensor",
    .kinds = SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,  // only if nothing outlives destroy
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(vendor::my_plugin::MyPlugin, kInfo)
