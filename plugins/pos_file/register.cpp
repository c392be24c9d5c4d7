// pos_file's registration: descriptor and properties only.
#include "pos_file.hpp"

namespace {
using storegate::sdk::Property;
constexpr sg_str kFormats[] = {SG_STR("auto"), SG_STR("csv"), SG_STR("json")};
constexpr sg_str kAfter[] = {SG_STR("move"), SG_STR("keep")};

constexpr sg_property kProperties[] = {
    Property::String("dir", "Drop folder the POS exports receipt files into").required().path(),
    Property::Enum("format", "csv, json (a receipt, an array or JSON Lines), or auto by extension",
                   kFormats, 3)
        .defaultValue("auto"),
    Property::Enum("after",
                   "move: processed files go to done_dir; keep: leave them, remember them in state",
                   kAfter, 2)
        .defaultValue("move"),
    Property::String("done_dir", "Where processed files go (default: <dir>/done)").path(),
    Property::String("quarantine_dir",
                     "Where bad files and rejected records go (default: <dir>/quarantine)")
        .path(),
    Property::Duration("poll_interval", "How often the folder is scanned")
        .defaultValue("1s")
        .range(10, 3'600'000),
    Property::Duration("settle_time", "A file must be unchanged this long before it is read")
        .defaultValue("2s")
        .range(0, 3'600'000),
    Property::Size("max_file_size", "Larger files are quarantined unread")
        .defaultValue("64MiB")
        .min(1),
    Property::Int("batch", "Receipts per emit_batch").defaultValue("100").range(1, 10'000),
    Property::String("till", "Till id for files whose rows carry none"),
    Property::String("delimiter", "CSV field delimiter").defaultValue(","),
    Property::Object("columns", "Receipt field -> CSV header, for exports with other column names")
        .defaultValue("{}"),
    Property::Bool("check_total",
                   "Reject receipts whose total differs from their items by more than 0.01")
        .defaultValue("true"),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "pos_file",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Receipts from CSV and JSON files dropped into a folder by the POS",
    .kinds = SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::pos_file::PosFile, kInfo)
