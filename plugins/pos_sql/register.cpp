// pos_sql's registration: descriptor and properties only.
#include "pos_sql.hpp"

namespace {
using storegate::sdk::Property;
constexpr sg_str kConnectors[] = {SG_STR("sqlite")};

constexpr sg_property kProperties[] = {
    Property::Enum("connector", "Database kind (PostgreSQL: not yet, see docs/plugins/pos_sql.md)",
                   kConnectors, 1)
        .defaultValue("sqlite"),
    Property::String("connection", "The SQLite database file").required().path(),
    Property::String("table", "Table (or view) with one row per line item").required(),
    Property::String("cursor_column", "Increasing integer column rows are read in the order of")
        .defaultValue("id"),
    Property::Object("columns", "Receipt field -> column name, where they differ")
        .defaultValue("{}"),
    Property::Duration("poll_interval", "Time between two polls when caught up")
        .defaultValue("2s")
        .range(10, 3'600'000),
    Property::Int("batch", "Rows per query; must exceed the line items of the largest receipt")
        .defaultValue("500")
        .range(2, 100'000),
    Property::String("quarantine_dir", "Where rejected receipts are written with their reasons")
        .required()
        .path(),
    Property::String("till", "Till id for rows that carry none"),
    Property::Bool("check_total",
                   "Reject receipts whose total differs from their items by more than 0.01")
        .defaultValue("true"),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "pos_sql",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Receipts polled from a POS database table (SQLite) by increasing id",
    .kinds = SG_KIND_SOURCE,
    // Poco::Data keeps connectors registered in a process-wide factory: not unload-safe.
    .flags = 0,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::pos_sql::PosSql, kInfo)
