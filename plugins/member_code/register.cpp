// member_code's registration: descriptor and properties only.
#include "member_code.hpp"

namespace {
using storegate::sdk::Property;

constexpr sg_str kInputs[] = {SG_STR("camera"), SG_STR("tcp"), SG_STR("serial"), SG_STR("hid")};

constexpr sg_property kProperties[] = {
    Property::Enum("input", "Where codes come from", kInputs, 4).required(),
    Property::String("location", "Where the reader is (event subject); default the instance name"),
    Property::String("camera.url", "Video file, rtsp://… URL or /dev/videoN"),
    Property::Int("camera.max_fps", "Frames decoded per second at most")
        .defaultValue("10")
        .range(1, 60),
    Property::Bool("camera.loop", "Files: start again at the end").defaultValue("false"),
    Property::List("camera.formats", "Symbologies looked for in frames")
        .defaultValue(R"(["qr", "ean13", "code128"])"),
    Property::String("tcp.listen", "host:port of the line socket scanners connect to")
        .defaultValue("127.0.0.1:9100"),
    Property::Int("tcp.max_connections", "Scanner connections at once")
        .defaultValue("4")
        .range(1, 64),
    Property::String("serial.device", "Serial scanner, e.g. /dev/ttyUSB0").path(),
    Property::Int("serial.baud", "Serial speed").defaultValue("9600").range(1200, 115200),
    Property::String("hid.device", "Keyboard-wedge scanner, e.g. /dev/input/by-id/…-event-kbd")
        .path(),
    Property::Bool("hid.grab", "Take the scanner's keystrokes away from the console")
        .defaultValue("true"),
    Property::String("prefix", "Stripped from the start of a read when present"),
    Property::String("suffix", "Stripped from the end of a read when present"),
    Property::String("pattern",
                     "A member code matches this regular expression whole; other reads "
                     "are ignored and counted")
        .defaultValue(".+"),
    Property::Duration("debounce", "The same code within this window is one scan")
        .defaultValue("2s")
        .range(0, 3'600'000),
    Property::String("dynamic.pattern",
                     "Codes matching this are dynamic (app payment-style) and get expires_at"),
    Property::Duration("dynamic.ttl", "How long a dynamic code can be redeemed")
        .defaultValue("2m")
        .range(1000, 86'400'000),
    Property::Duration("reconnect_interval", "Wait before reopening a device that failed")
        .defaultValue("2s")
        .range(10, 600'000),
};

constexpr storegate::sdk::PluginInfo kInfo{
    .name = "member_code",
    .version = "1.0.0",
    .vendor = "storegate",
    .description =
        "Member codes from camera frames (QR, EAN-13, Code 128 via ZXing) or "
        "TCP/serial/HID scanners: store.member.scan with debounce and time-to-live",
    .kinds = SG_KIND_SOURCE,
    // OpenCV and its video backends keep process-wide state: retired on hot swap.
    .flags = 0,
    .properties = kProperties,
};
}  // namespace

STOREGATE_PLUGIN(storegate::plugins::member_code::MemberCode, kInfo)
