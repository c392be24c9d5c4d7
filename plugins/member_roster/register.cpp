// member_roster's registration: descriptor and properties only.
#include "member_roster.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_property kProperties[] = {
    Property::Int("max_members", "Largest roster kept; a bigger update is refused and counted")
        .defaultValue("1000000")
        .range(1, 50'000'000),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "member_roster",
    .version = "1.0.0",
    .vendor = "storegate",
    .description = "Resolves member-code scans against the cloud's roster kept in the store: "
                   "store.member.identified, also while the uplink is down",
    .kinds = SG_KIND_SINK | SG_KIND_SOURCE,
    .flags = SG_PLUGIN_UNLOAD_SAFE,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::member_roster::MemberRoster, kInfo)
