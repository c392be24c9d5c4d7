// file_sink's registration: descriptor and properties only.
#include "file_sink.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::String("path", "File the JSON Lines go to; rotated files get .1, .2, ...")
        .required()
        .path(),
    Property::Size("max_file_size", "Rotate when the file would grow past this")
        .defaultValue("64MiB")
        .min(1024),
    Property::Int("max_files", "Rotated files kept besides the current one")
        .defaultValue("5")
        .range(0, 1000),
    Property::Bool("fsync", "fdatasync after every batch (slower; survives power loss)")
        .defaultValue("false"),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "file_sink",
    .version = "1.0.0",
    .vendor = "storegate",
    .description =
        "Writes events as CloudEvents JSON Lines to a local file with size-based rotation",
    .kinds = SG_KIND_SINK,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::file_sink::FileSink, kInfo)
