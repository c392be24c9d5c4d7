// sensor_modbus's registration: descriptor and properties only.
#include "sensor_modbus.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::List("devices",
                   "Modbus TCP devices with their register maps (see docs/plugins/sensor_modbus.md)")
        .required(),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "sensor_modbus",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Polls Modbus TCP devices by a register map: scaled readings, offline alerts",
    .kinds = SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::sensor_modbus::SensorModbus, kInfo)
