// Crossing accuracy of the footfall pipeline against hand-labelled ground truth
// (tests/data/footfall/): runs a video through the pipeline frame by frame and matches
// its crossings to the labels per line and direction within a frame tolerance.
// Used by the accuracy test and by `storegate-bench --scenario footfall`.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pipeline.hpp"  // plugins/camera_footfall

namespace storegate::accuracy {

struct LabelledCrossing {
  std::string line;
  int frame = 0;
  bool in = true;
};

struct LineScore {
  int truth = 0;     // labelled crossings
  int detected = 0;  // crossings the pipeline reported
  int matched = 0;   // detected ones within tolerance of a label with the same direction
  double precision() const { return detected ? double(matched) / detected : 0; }
  double recall() const { return truth ? double(matched) / truth : 0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
  // |detected − truth| / truth: the error of the number a store would read.
  double countError() const { return truth ? std::abs(double(detected - truth)) / truth : 0; }
};

struct Evaluation {
  bool ran = false;
  std::string error;  // why it did not run
  int frames = 0;
  std::map<std::string, LineScore> lines;
  std::vector<LabelledCrossing> detected;
};

// Reads `line,frame,direction` rows; '#' starts a comment. Throws std::runtime_error
// naming the file and row on a bad one.
std::vector<LabelledCrossing> readLabels(const std::filesystem::path& csv);

// Reads counting lines in the plugin's `lines` format ([{name, points: [[x, y], …]}]).
std::vector<plugins::footfall::Line> readLines(const std::filesystem::path& json);

// Greedy one-to-one matching, closest frames first, same line and direction only.
std::map<std::string, LineScore> score(const std::vector<LabelledCrossing>& truth,
                                       const std::vector<LabelledCrossing>& detected,
                                       int tolerance_frames);

// Runs `video` (resized to `width`, keeping the aspect ratio) through a pipeline with
// `settings` and scores it against `labels`.
Evaluation evaluate(const std::filesystem::path& video, int width,
                    plugins::footfall::Settings settings,
                    const std::vector<LabelledCrossing>& labels, int tolerance_frames);

// The labelled footage: tests/data/footfall/ and OpenCV's vtest.avi.
std::filesystem::path labelsDir();
std::filesystem::path vtestVideo();

}  // namespace storegate::accuracy
