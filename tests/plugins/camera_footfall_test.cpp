// The footfall pipeline on synthetic footage with exact ground truth: figures rendered
// walking across a counting line (both ways) and through a zone, on a textured, noisy
// background.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline.hpp"
#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using namespace std::chrono_literals;
using plugins::footfall::Pipeline;
using plugins::footfall::Settings;

struct Walker {
  int start;         // first frame in view
  cv::Point2f from;  // position at `start`
  cv::Point2f step;  // px per frame
};

cv::Mat background() {
  cv::Mat bg(480, 640, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(bg, cv::RNG::UNIFORM, cv::Scalar(90, 90, 90), cv::Scalar(170, 170, 170));
  cv::GaussianBlur(bg, bg, cv::Size(9, 9), 0);
  return bg;
}

cv::Mat frame(const cv::Mat& bg, const std::vector<Walker>& walkers, int n, cv::RNG& rng) {
  cv::Mat f = bg.clone();
  for (const Walker& w : walkers) {
    if (n < w.start) continue;
    const cv::Point2f p = w.from + w.step * float(n - w.start);
    if (p.y < -60 || p.y > 540) continue;
    cv::ellipse(f, p, cv::Size(18, 40), 0, 0, 360, cv::Scalar(40, 30, 60), cv::FILLED);
    cv::circle(f, p - cv::Point2f(0, 48), 12, cv::Scalar(60, 70, 150), cv::FILLED);
  }
  cv::Mat noise(f.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(4));
  cv::add(f, noise, f);
  return f;
}

}  // namespace

TEST(FootfallPipeline, CountsEveryCrossingInItsDirectionAndTimesZones) {
  Settings s;
  s.lines.push_back({"door", {{0, 240}, {640, 240}}});
  s.zones.push_back({"entrance_mat", {{0, 260}, {640, 260}, {640, 400}, {0, 400}}});
  Pipeline p(s);
  // Ground truth: three walk in (down), two walk out (up), apart in time and space.
  const std::vector<Walker> walkers = {{40, {120, -50}, {0, 6}},
                                       {60, {420, 530}, {0, -5}},
                                       {130, {300, -50}, {1, 7}},
                                       {200, {520, -50}, {-1, 5}},
                                       {230, {200, 530}, {0, -6}}};
  const cv::Mat bg = background();
  cv::RNG rng(11);
  int in = 0, out = 0;
  std::vector<double> dwells;
  for (int n = 0; n < 360; ++n) {
    const auto r = p.process(frame(bg, walkers, n, rng), n / 15.0);
    for (const auto& c : r.crossings) (c.in ? in : out)++;
    for (const auto& d : r.dwells) dwells.push_back(d.seconds);
  }
  EXPECT_EQ(in, 3);
  EXPECT_EQ(out, 2);
  // Every walker crossed the mat (140 px) at 5-7 px/frame: about 1.3-1.9 s at 15 fps.
  ASSERT_EQ(dwells.size(), 5u);
  for (double d : dwells) {
    EXPECT_GT(d, 0.9);
    EXPECT_LT(d, 2.5);
  }
}

TEST(FootfallPipeline, APolylineCountsOnlyWhereItIsDrawn) {
  Settings s;
  s.lines.push_back({"left_half", {{0, 240}, {320, 240}}});
  Pipeline p(s);
  const std::vector<Walker> walkers = {{30, {160, -50}, {0, 6}}, {90, {480, -50}, {0, 6}}};
  const cv::Mat bg = background();
  cv::RNG rng(3);
  int crossings = 0;
  for (int n = 0; n < 250; ++n)
    crossings += static_cast<int>(p.process(frame(bg, walkers, n, rng), n / 15.0).crossings.size());
  EXPECT_EQ(crossings, 1) << "the walker on the right passes beside the line";
}

// The tracker and counter on exact boxes: a 24×70 person whose middle follows `ys`.
std::vector<plugins::footfall::Crossing> walk(Pipeline& p, float x, const std::vector<float>& ys) {
  std::vector<plugins::footfall::Crossing> out;
  for (size_t n = 0; n < ys.size(); ++n) {
    const cv::Rect box(static_cast<int>(x) - 12, static_cast<int>(ys[n]) - 35, 24, 70);
    for (const auto& c : p.track({box}, double(n) / 10).crossings) out.push_back(c);
  }
  for (int n = 0; n < 20; ++n)  // out of view: the track is lost
    for (const auto& c : p.track({}, 10.0 + n).crossings) out.push_back(c);
  return out;
}

std::vector<float> steps(float from, float to, float step) {
  std::vector<float> out;
  for (float y = from; step > 0 ? y <= to : y >= to; y += step) out.push_back(y);
  return out;
}

TEST(FootfallPipeline, PeopleSideBySideAreSplitByTheirAspect) {
  // Two figures 38 px apart merge into one blob; a figure here is 36 px wide and about
  // 100 px tall (aspect ≈ 2.8).
  const std::vector<Walker> pair = {{20, {300, -50}, {0, 6}}, {20, {338, -50}, {0, 6}}};
  const auto crossings = [&](double aspect) {
    Settings s;
    s.person_aspect = aspect;
    s.lines.push_back({"door", {{0, 240}, {640, 240}}});
    Pipeline p(s);
    const cv::Mat bg = background();
    cv::RNG rng(9);
    int n_crossings = 0;
    for (int n = 0; n < 140; ++n)
      n_crossings +=
          static_cast<int>(p.process(frame(bg, pair, n, rng), n / 15.0).crossings.size());
    return n_crossings;
  };
  EXPECT_EQ(crossings(0), 1) << "without an aspect the two are one blob";
  EXPECT_EQ(crossings(2.8), 2);
}

TEST(FootfallPipeline, ReachingTheLineAndTurningBackIsNoCrossing) {
  Settings s;  // line_margin 10 px
  s.lines.push_back({"door", {{0, 240}, {640, 240}}});
  {
    Pipeline p(s);  // 6 px past the line, then back
    auto ys = steps(150, 246, 6);
    for (float y : steps(240, 150, -6)) ys.push_back(y);
    EXPECT_TRUE(walk(p, 300, ys).empty());
  }
  {
    Pipeline p(s);  // 30 px past and back: in, then out
    auto ys = steps(150, 270, 6);
    for (float y : steps(264, 150, -6)) ys.push_back(y);
    const auto c = walk(p, 300, ys);
    ASSERT_EQ(c.size(), 2U);
    EXPECT_TRUE(c[0].in);
    EXPECT_FALSE(c[1].in);
  }
  {
    Pipeline p(s);  // lost 4 px past the line (walked out of view there): it crossed
    const auto c = walk(p, 300, steps(150, 244, 6));
    ASSERT_EQ(c.size(), 1U);
    EXPECT_TRUE(c[0].in);
  }
}

TEST(FootfallPipeline, SegmentCrossingSign) {
  float side = 0;
  using plugins::footfall::segmentsCross;
  EXPECT_TRUE(segmentsCross({5, 0}, {5, 10}, {0, 5}, {10, 5}, side));
  EXPECT_GT(side, 0) << "downwards across a line drawn left to right is in";
  EXPECT_TRUE(segmentsCross({5, 10}, {5, 0}, {0, 5}, {10, 5}, side));
  EXPECT_LT(side, 0);
  EXPECT_FALSE(segmentsCross({5, 0}, {5, 4}, {0, 5}, {10, 5}, side));
}

TEST(CameraFootfall, AVideoFileThroughThePluginBecomesCrossingCountAndDwellEvents) {
  test::TempDir dir;
  const auto video = dir / "door.avi";
  const std::vector<Walker> walkers = {{40, {120, -50}, {0, 6}},
                                       {60, {420, 530}, {0, -5}},
                                       {130, {300, -50}, {1, 7}},
                                       {200, {520, -50}, {-1, 5}},
                                       {230, {200, 530}, {0, -6}}};
  {
    cv::VideoWriter w(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 15,
                      cv::Size(640, 480));
    ASSERT_TRUE(w.isOpened());
    const cv::Mat bg = background();
    cv::RNG rng(11);
    for (int n = 0; n < 360; ++n) w.write(frame(bg, walkers, n, rng));
  }
  const auto rig_owner = test::bundledPluginRig(dir / "gw");
  test::PluginRig& rig = *rig_owner;
  rig.buffer->registerSink("test_reader");  // keep every event for the test to read
  InstanceSpec s;
  s.name = "door";
  s.plugin = "camera_footfall";
  s.path = "plugins[0]";
  s.config = {
      {"camera.url", video.string()},
      {"camera.max_fps", 60},
      {"lines", nlohmann::json::parse(R"([{"name": "door", "points": [[0, 240], [640, 240]]}])")},
      {"zones",
       nlohmann::json::parse(
           R"([{"name": "mat", "polygon": [[0, 260], [640, 260], [640, 400], [0, 400]]}])")},
      {"count_interval", "1s"}};
  const Status st = rig.manager->add(s);
  ASSERT_TRUE(st.ok()) << st.message;
  const auto count = [&](const std::string& type, const std::string& direction = "") {
    int n = 0;
    for (const auto& e : rig.buffer->readAfter(0, 100000, 1 << 26)) {
      if (e.type != type) continue;
      if (direction.empty() || nlohmann::json::parse(e.data)["direction"] == direction) ++n;
    }
    return n;
  };
  ASSERT_TRUE(test::waitUntil([&] { return count("store.footfall.crossing") >= 5; }, 60s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(count("store.footfall.crossing", "in"), 3);
  EXPECT_EQ(count("store.footfall.crossing", "out"), 2);
  EXPECT_EQ(count("store.zone.dwell"), 5);
  EXPECT_TRUE(test::waitUntil([&] { return count("store.footfall.count") >= 1; }, 10s));
}

}  // namespace storegate

namespace storegate {

TEST(CameraFootfall, AConfigStartWouldRefuseIsRefusedByValidationWithItsPath) {
  // What --check-config, a reload and POST /v1/config/validate run: the host's property
  // checks, then the plugin's own (ABI 1.2) — no camera opened, nothing started.
  test::TempDir dir;
  const auto rig_owner = test::bundledPluginRig(dir / "gw");
  InstanceSpec s;
  s.name = "door";
  s.plugin = "camera_footfall";
  s.path = "plugins[0]";
  s.config = {{"camera.url", "/no/such/camera.avi"},
              {"lines", nlohmann::json::parse(R"([{"name": "door", "points": [[0, 240]]}])")},
              {"zones", nlohmann::json::parse(R"([{"name": "mat", "polygon": "square"}])")}};
  const ConfigErrors errors = rig_owner->manager->validate(s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].path, "plugins[0].config.lines[0].points");
  EXPECT_NE(errors[0].message.find("needs at least 2"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].path, "plugins[0].config.zones[0].polygon");
  s.config["lines"] = nlohmann::json::array();
  s.config["zones"] = nlohmann::json::array();
  const ConfigErrors empty = rig_owner->manager->validate(s);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_NE(empty[0].message.find("nothing to count"), std::string::npos);
  s.config["lines"] = nlohmann::json::parse(R"([{"name": "door", "points": [[0, 1], [2, 3]]}])");
  EXPECT_TRUE(rig_owner->manager->validate(s).empty()) << "a good config passes";
  EXPECT_TRUE(rig_owner->manager->names().empty()) << "validation creates no instance";
}

}  // namespace storegate
