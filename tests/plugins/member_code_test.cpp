// member_code: codes rendered by the test into images and a video file (at angles, with
// noise) are decoded; a TCP scanner session, a serial scanner on a pseudo-terminal, the
// keyboard-wedge keymap; debounce and the time-to-live of dynamic codes.
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/input-event-codes.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <storegate/sdk.hpp>

#include "code_filter.hpp"
#include "decoder.hpp"
#include "hid_keymap.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using namespace plugins::member_code;

cv::Mat render(ZXing::BarcodeFormat format, const std::string& text, int w, int h) {
  const auto bits = ZXing::MultiFormatWriter(format).encode(text, w, h);
  const auto m = ZXing::ToMatrix<uint8_t>(bits);
  return cv::Mat(m.height(), m.width(), CV_8UC1, const_cast<uint8_t*>(m.data())).clone();
}

// A camera's view: codes pasted on a grey background, turned by `angle`, with sensor noise.
cv::Mat scene(const std::vector<std::pair<cv::Mat, cv::Point>>& codes, double angle, int noise) {
  cv::Mat gray(480, 640, CV_8UC1, cv::Scalar(200));
  for (const auto& [code, at] : codes) code.copyTo(gray(cv::Rect(at, code.size())));
  cv::Mat turned;
  const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(320, 240), angle, 1.0);
  cv::warpAffine(gray, turned, rot, gray.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(200));
  cv::Mat n(turned.size(), CV_16SC1);
  cv::randn(n, 0, noise);
  cv::Mat out;
  turned.convertTo(out, CV_16SC1);
  out += n;
  out.convertTo(out, CV_8UC1);
  cv::Mat bgr;
  cv::cvtColor(out, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

class MemberCodeTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::unique_ptr<test::PluginRig> rig_;

  void SetUp() override { rig_ = test::bundledPluginRig(dir_ / "gw"); }
  void TearDown() override { rig_.reset(); }

  Status add(const json& config) {
    InstanceSpec s;
    s.name = "entrance_reader";
    s.plugin = "member_code";
    s.path = "plugins[0]";
    s.config = config;
    return rig_->manager->add(s);
  }
  std::vector<json> scans() {
    std::vector<json> out;
    for (const auto& e : rig_->buffer->readAfter(0, 1000, 1 << 24)) {
      EXPECT_EQ(e.type, "store.member.scan");
      out.push_back(json::parse(e.data));
      out.back()["subject"] = e.subject;
    }
    return out;
  }
  double metric(const std::string& name) {
    return test::pluginMetric(*rig_->manager, "entrance_reader", name);
  }
};

}  // namespace

TEST(FrameDecoder, SeveralQrCodesAndAnEan13AtAnAngleWithNoise) {
  FrameDecoder decoder({"qr", "ean13", "code128"});
  const cv::Mat frame =
      scene({{render(ZXing::BarcodeFormat::QRCode, "M-1001", 150, 150), {40, 60}},
             {render(ZXing::BarcodeFormat::QRCode, "M-2002", 150, 150), {420, 60}},
             {render(ZXing::BarcodeFormat::EAN13, "4006381333931", 380, 110), {130, 300}}},
            8.0, 8);
  std::set<std::string> found;
  for (const Decoded& d : decoder.decode(frame)) found.insert(d.symbology + ":" + d.text);
  EXPECT_EQ(found, (std::set<std::string>{"qr:M-1001", "qr:M-2002", "ean13:4006381333931"}));
}

TEST(FrameDecoder, ACode128IsReadAndUnknownFormatsAreRefused) {
  FrameDecoder decoder({"code128"});
  const auto found = decoder.decode(
      scene({{render(ZXing::BarcodeFormat::Code128, "MEMBER-77", 320, 100), {160, 190}}}, -5.0, 8));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "MEMBER-77");
  EXPECT_THROW(FrameDecoder({"qr", "hologram"}), sdk::Error);
}

TEST_F(MemberCodeTest, ACodeHeldInFrontOfTheCameraIsOneScan) {
  const auto video = dir_ / "door.avi";
  {
    cv::VideoWriter w(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 15,
                      cv::Size(640, 480));
    ASSERT_TRUE(w.isOpened());
    const cv::Mat one = render(ZXing::BarcodeFormat::QRCode, "M-1001", 160, 160);
    const cv::Mat two = render(ZXing::BarcodeFormat::QRCode, "M-2002", 160, 160);
    for (int i = 0; i < 50; ++i) {
      if (i >= 5 && i < 25) {
        w.write(scene({{one, {200 + i, 150}}}, i - 15.0, 6));  // moving, turning
      } else if (i >= 30 && i < 45) {
        w.write(scene({{two, {240, 160}}}, 8.0, 6));
      } else {
        w.write(scene({}, 0, 6));
      }
    }
  }
  ASSERT_OK(add({{"input", "camera"},
                 {"camera.url", video.string()},
                 {"camera.max_fps", 60},
                 {"location", "entrance"},
                 {"pattern", "M-\\d{4}"}}));
  ASSERT_TRUE(test::waitUntil([&] { return scans().size() == 2; }, 20s));
  std::this_thread::sleep_for(300ms);
  const auto got = scans();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["member_code"], "M-1001");
  EXPECT_EQ(got[0]["symbology"], "qr");
  EXPECT_EQ(got[0]["subject"], "entrance");
  EXPECT_EQ(got[1]["member_code"], "M-2002");
  EXPECT_GE(metric("codes_repeated"), 10) << "the frames showing the same code";
}

TEST_F(MemberCodeTest, ATcpScannerSessionWithPrefixPatternDebounceAndDynamicCodes) {
  const int port = test::freeLoopbackPort();
  ASSERT_OK(add({{"input", "tcp"},
                 {"tcp.listen", "127.0.0.1:" + std::to_string(port)},
                 {"prefix", "]Q1"},
                 {"pattern", "(M-\\d{4}|DYN-\\d{6})"},
                 {"dynamic.pattern", "DYN-\\d{6}"},
                 {"dynamic.ttl", "90s"},
                 {"debounce", "2s"}}));
  int fd = -1;
  ASSERT_TRUE(test::waitUntil([&] {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    ::close(fd);
    return false;
  }));
  const std::string session = "]Q1M-1001\r\n]Q1M-1001\r\nhello world\r\n]Q1DYN-123456\r\n";
  ASSERT_EQ(::send(fd, session.data(), session.size(), 0), ssize_t(session.size()));
  ASSERT_TRUE(test::waitUntil([&] { return scans().size() == 2; }));
  ::close(fd);
  const auto got = scans();
  EXPECT_EQ(got[0]["member_code"], "M-1001");
  EXPECT_EQ(got[0]["symbology"], "scanner");
  EXPECT_FALSE(got[0].contains("expires_at"));
  EXPECT_EQ(got[1]["member_code"], "DYN-123456");
  ASSERT_TRUE(got[1].contains("expires_at"));
  EXPECT_TRUE(test::waitUntil([&] { return metric("codes_repeated") == 1; }));
  EXPECT_EQ(metric("codes_ignored"), 1);
}

TEST_F(MemberCodeTest, ASerialScannerOnAPseudoTerminal) {
  int master = -1, slave = -1;
  char name[128];
  ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
  ASSERT_OK(add({{"input", "serial"}, {"serial.device", name}, {"serial.baud", 9600}}));
  std::this_thread::sleep_for(200ms);  // the plugin opens the device
  const std::string line = "M-3003\r";
  ASSERT_EQ(::write(master, line.data(), line.size()), ssize_t(line.size()));
  ASSERT_TRUE(test::waitUntil([&] { return scans().size() == 1; }));
  EXPECT_EQ(scans()[0]["member_code"], "M-3003");
  EXPECT_EQ(scans()[0]["device"], name);
  ::close(master);
  ::close(slave);
}

TEST_F(MemberCodeTest, AMissingDeviceIsReportedAndRetried) {
  ASSERT_OK(add({{"input", "hid"},
                 {"hid.device", (dir_ / "no-such-event").string()},
                 {"reconnect_interval", "50ms"}}));
  ASSERT_TRUE(
      test::waitUntil([&] { return rig_->manager->get("entrance_reader")->health == "degraded"; }));
  EXPECT_NE(rig_->manager->get("entrance_reader")->last_error.find("cannot open HID scanner"),
            std::string::npos);
}

TEST(HidKeymap, AKeyboardWedgeTypesItsCodeAndEnter) {
  HidKeymap keys;
  const auto type = [&](int code, bool shift = false) -> std::optional<std::string> {
    if (shift) (void)keys.feed(KEY_LEFTSHIFT, 1);
    auto a = keys.feed(code, 1);
    auto b = keys.feed(code, 0);
    if (shift) (void)keys.feed(KEY_LEFTSHIFT, 0);
    return a ? a : b;
  };
  EXPECT_FALSE(type(KEY_M, true));
  EXPECT_FALSE(type(KEY_MINUS));
  EXPECT_FALSE(type(KEY_1));
  EXPECT_FALSE(type(KEY_KP2));
  EXPECT_FALSE(type(KEY_A));
  const auto line = type(KEY_ENTER);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "M-12a");
  EXPECT_FALSE(type(KEY_ENTER)) << "an empty line is no code";
}

TEST(CodeFilter, TheDebounceWindowRunsFromTheLastSighting) {
  FilterSettings s;
  s.debounce = 1000ms;
  CodeFilter f(s);
  const int64_t ms = 1'000'000;
  EXPECT_EQ(f.check("M-1", 0).kind, Verdict::Kind::kScan);
  EXPECT_EQ(f.check("M-1", 800 * ms).kind, Verdict::Kind::kRepeat);
  EXPECT_EQ(f.check("M-1", 1600 * ms).kind, Verdict::Kind::kRepeat) << "still held up";
  EXPECT_EQ(f.check("M-1", 2700 * ms).kind, Verdict::Kind::kScan) << "came back later";
  EXPECT_EQ(f.check("  \r\n", 2800 * ms).kind, Verdict::Kind::kIgnored);
  FilterSettings bad;
  bad.pattern = "([";
  EXPECT_THROW(CodeFilter{bad}, sdk::Error);
}

}  // namespace storegate
