// camera_footfall's registration: descriptor and properties only.
#include "camera_footfall.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_str kDetectors[] = {SG_STR("background"), SG_STR("hog")};

constexpr sg_property kProperties[] = {
    Property::String("camera.url", "Video file, rtsp://… URL or /dev/videoN").required(),
    Property::Int("camera.max_fps", "Frames processed per second at most")
        .defaultValue("15")
        .range(1, 60),
    Property::Bool("camera.loop", "Files: start again at the end").defaultValue("false"),
    Property::Int("scale_width",
                  "Frames are resized to this width first (0: as they come); "
                  "lines and zones are in this frame's pixels")
        .defaultValue("640")
        .range(0, 4096),
    Property::Enum("detector",
                   "background: subtraction (overhead door cameras); hog: people "
                   "detector (angled views)",
                   kDetectors, 2)
        .defaultValue("background"),
    Property::Double("min_area", "Smallest blob that is a person, px²").defaultValue("400").min(1),
    Property::Double("max_distance", "Furthest a person moves between two frames, px")
        .defaultValue("80")
        .min(1),
    Property::Double("line_margin",
                     "A crossing counts once the person is this far past the line, px "
                     "(reaching the line and turning back is no crossing)")
        .defaultValue("10")
        .range(0, 200),
    Property::Double("person_aspect",
                     "Height / width of one standing person in the picture: wider blobs "
                     "(people side by side) are split; 0: never (overhead cameras)")
        .defaultValue("0")
        .range(0, 10),
    Property::List("lines",
                   "Counting lines: [{name, points: [[x, y], …]}]; crossing from the "
                   "left of the drawn direction to its right is in")
        .defaultValue("[]"),
    Property::List("zones", "Dwell zones: [{name, polygon: [[x, y], …]}]").defaultValue("[]"),
    Property::Duration("count_interval", "store.footfall.count per line every")
        .defaultValue("1m")
        .min(1000),
    Property::Duration("reconnect_interval", "Wait before reopening a dropped stream")
        .defaultValue("2s")
        .range(10, 600'000),
};

// What a line and a zone look like, for --plugin-schema, the docs and the console.
constexpr sg_property_schema kSchemas[] = {
    storegate::sdk::propertySchema(
        "lines",
        R"({"type":"array","items":{"type":"object","required":["name","points"],)"
        R"("properties":{"name":{"type":"string"},"points":{"type":"array","minItems":2,)"
        R"("items":{"type":"array","minItems":2,"maxItems":2,"items":{"type":"number"}}}}}})"),
    storegate::sdk::propertySchema(
        "zones",
        R"({"type":"array","items":{"type":"object","required":["name","polygon"],)"
        R"("properties":{"name":{"type":"string"},"polygon":{"type":"array","minItems":3,)"
        R"("items":{"type":"array","minItems":2,"maxItems":2,"items":{"type":"number"}}}}}})"),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "camera_footfall",
    .version = "1.0.0",
    .vendor = "storegate",
    .description =
        "Footfall and zone dwell from a door camera (OpenCV): crossings, counts, "
        "dwell, occupancy",
    .kinds = SG_KIND_SOURCE,
    .flags = 0,  // OpenCV keeps process-wide state: retired on hot swap
    .properties = kProperties,
    .schemas = kSchemas,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::footfall::CameraFootfall, kInfo)
