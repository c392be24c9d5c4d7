// A sink that accepts every batch and does nothing: the far end of the benchmark path.
#include <storegate/sdk.hpp>

namespace {
using namespace storegate;
class NullSink final : public sdk::Plugin {
 public:
  NullSink(sdk::Host host, const sdk::Config&) : sdk::Plugin(std::move(host)) {}
  sdk::DeliveryOutcome deliver(std::span<const sg_event> events) override {
    return sdk::DeliveryOutcome::all(events.size());
  }
};
constexpr sdk::PluginInfo kInfo{.name = "null_sink",
                                .version = "1.0.0",
                                .vendor = "storegate",
                                .description = "accepts and discards everything",
                                .kinds = SG_KIND_SINK,
                                .flags = SG_PLUGIN_UNLOAD_SAFE};
}  // namespace
STOREGATE_PLUGIN(NullSink, kInfo)
