// The footfall pipeline against hand-labelled real footage (OpenCV's vtest.avi) and the
// scoring that judges it. Targets (issue: camera recognition): count error ≤ 10 % and
// crossing F1 ≥ 0.85 on every labelled line.
#include "accuracy/footfall_accuracy.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/test_support.hpp"

namespace storegate::accuracy {
namespace {

// A walker in vtest.avi at 640×480 is about 70 px tall and 23 px wide.
constexpr double kVtestPersonAspect = 3;
constexpr int kToleranceFrames = 10;  // 1 s at vtest.avi's 10 fps

TEST(FootfallScore, MatchesOneToOneBySameLineAndDirectionWithinTolerance) {
  const std::vector<LabelledCrossing> truth = {
      {"a", 100, true}, {"a", 104, true}, {"a", 200, false}, {"b", 50, true}};
  const std::vector<LabelledCrossing> detected = {
      {"a", 101, true},   // matches 100
      {"a", 102, true},   // matches 104 (100 is taken)
      {"a", 103, true},   // nothing left within tolerance
      {"a", 200, true},   // wrong direction
      {"b", 61, true}};   // one frame too late
  const auto s = score(truth, detected, kToleranceFrames);
  EXPECT_EQ(s.at("a").truth, 3);
  EXPECT_EQ(s.at("a").detected, 4);
  EXPECT_EQ(s.at("a").matched, 2);
  EXPECT_DOUBLE_EQ(s.at("a").precision(), 0.5);
  EXPECT_NEAR(s.at("a").recall(), 2.0 / 3, 1e-9);
  EXPECT_NEAR(s.at("a").countError(), 1.0 / 3, 1e-9);
  EXPECT_EQ(s.at("b").matched, 0);
  EXPECT_DOUBLE_EQ(s.at("b").f1(), 0);
}

TEST(FootfallScore, ABadLabelRowIsRefusedWithItsFileAndRow) {
  const auto path = testing::TempDir() + "labels.csv";
  std::ofstream(path) << "# comment\nwest,10,in\nwest,x,in\n";
  try {
    (void)readLabels(path);
    FAIL() << "a row with a frame that is not a number was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("labels.csv:3"), std::string::npos) << e.what();
  }
}

TEST(FootfallAccuracy, VtestMeetsTheTargetsOnEveryLabelledLine) {
  const auto labels = readLabels(labelsDir() / "vtest_crossings.csv");
  plugins::footfall::Settings settings;  // the plugin's defaults, but:
  settings.person_aspect = kVtestPersonAspect;
  settings.lines = readLines(labelsDir() / "vtest_lines.json");
  const Evaluation e = evaluate(vtestVideo(), 640, settings, labels, kToleranceFrames);
  ASSERT_TRUE(e.ran) << e.error;
  EXPECT_EQ(e.frames, 795);
  ASSERT_EQ(e.lines.size(), 2U);
  for (const auto& [name, s] : e.lines) {
    std::printf("line %-5s truth %2d detected %2d matched %2d precision %.2f recall %.2f F1 %.2f "
                "count error %.1f %%\n",
                name.c_str(), s.truth, s.detected, s.matched, s.precision(), s.recall(), s.f1(),
                100 * s.countError());
    EXPECT_LE(s.countError(), 0.10) << name;
    EXPECT_GE(s.f1(), 0.85) << name;
  }
}

}  // namespace
}  // namespace storegate::accuracy
