#include "footfall_accuracy.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <stdexcept>

namespace storegate::accuracy {

std::vector<LabelledCrossing> readLabels(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw std::runtime_error(csv.string() + ": cannot be read");
  std::vector<LabelledCrossing> out;
  std::string row;
  for (int n = 1; std::getline(in, row); ++n) {
    if (row.empty() || row[0] == '#') continue;
    std::istringstream fields(row);
    std::string line, frame, direction;
    std::getline(fields, line, ',');
    std::getline(fields, frame, ',');
    std::getline(fields, direction, ',');
    char* end = nullptr;
    const long f = std::strtol(frame.c_str(), &end, 10);
    if (line.empty() || frame.empty() || *end != '\0' || f < 0 ||
        (direction != "in" && direction != "out"))
      throw std::runtime_error(csv.string() + ":" + std::to_string(n) +
                               ": expected line,frame,in|out, got '" + row + "'");
    out.push_back({line, static_cast<int>(f), direction == "in"});
  }
  return out;
}

std::vector<plugins::footfall::Line> readLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_array()) throw std::runtime_error(path.string() + ": expected a JSON list of lines");
  std::vector<plugins::footfall::Line> out;
  for (const auto& l : doc) {
    plugins::footfall::Line line{l.at("name").get<std::string>(), {}};
    for (const auto& p : l.at("points")) line.points.emplace_back(p.at(0).get<float>(), p.at(1).get<float>());
    out.push_back(std::move(line));
  }
  return out;
}

std::map<std::string, LineScore> score(const std::vector<LabelledCrossing>& truth,
                                       const std::vector<LabelledCrossing>& detected,
                                       int tolerance_frames) {
  std::map<std::string, LineScore> out;
  for (const auto& t : truth) ++out[t.line].truth;
  for (const auto& d : detected) ++out[d.line].detected;
  struct Pair {
    int gap;
    size_t t, d;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < truth.size(); ++i)
    for (size_t j = 0; j < detected.size(); ++j) {
      const auto& t = truth[i];
      const auto& d = detected[j];
      const int gap = std::abs(t.frame - d.frame);
      if (t.line == d.line && t.in == d.in && gap <= tolerance_frames) pairs.push_back({gap, i, j});
    }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& a, const Pair& b) { return a.gap < b.gap; });
  std::vector<bool> t_used(truth.size()), d_used(detected.size());
  for (const Pair& p : pairs) {
    if (t_used[p.t] || d_used[p.d]) continue;
    t_used[p.t] = d_used[p.d] = true;
    ++out[truth[p.t].line].matched;
  }
  return out;
}

Evaluation evaluate(const std::filesystem::path& video, int width,
                    plugins::footfall::Settings settings,
                    const std::vector<LabelledCrossing>& labels, int tolerance_frames) {
  Evaluation e;
  cv::VideoCapture cap(video.string());
  if (!cap.isOpened()) {
    e.error = video.string() + " cannot be opened (Debian: apt install opencv-doc)";
    return e;
  }
  plugins::footfall::Pipeline pipeline(std::move(settings));
  cv::Mat frame, scaled;
  const double fps = cap.get(cv::CAP_PROP_FPS) > 0 ? cap.get(cv::CAP_PROP_FPS) : 10;
  for (; cap.read(frame); ++e.frames) {
    const double s = double(width) / frame.cols;
    cv::resize(frame, scaled, cv::Size(), s, s, cv::INTER_AREA);
    for (const auto& c : pipeline.process(scaled, e.frames / fps).crossings)
      e.detected.push_back({c.line, e.frames, c.in});
  }
  e.ran = true;
  e.lines = score(labels, e.detected, tolerance_frames);
  return e;
}

std::filesystem::path labelsDir() {
  return std::filesystem::path(STOREGATE_TEST_SOURCE_DIR) / "tests/data/footfall";
}

std::filesystem::path vtestVideo() {
  return "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
}

}  // namespace storegate::accuracy
