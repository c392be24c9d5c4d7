#include "footfall_bench.hpp"

#include <chrono>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline.hpp"  // plugins/camera_footfall

namespace storegate::bench {

FootfallResult footfallRun(const std::filesystem::path& video, int n) {
  FootfallResult r;
  cv::VideoCapture cap(video.string());
  if (!cap.isOpened()) return r;
  std::vector<cv::Mat> frames;
  cv::Mat f, scaled;
  while (static_cast<int>(frames.size()) < n && cap.read(f)) {
    cv::resize(f, scaled, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
    frames.push_back(scaled.clone());
  }
  if (frames.empty()) return r;
  r.ran = true;
  using Clock = std::chrono::steady_clock;
  const auto rate = [&](bool hog, size_t count) {
    plugins::footfall::Settings s;
    s.hog = hog;
    s.lines.push_back({"middle", {{0, 240}, {640, 240}}});
    plugins::footfall::Pipeline p(s);
    const auto start = Clock::now();
    for (size_t i = 0; i < count; ++i) (void)p.process(frames[i], double(i) / 10);
    return double(count) / std::chrono::duration<double>(Clock::now() - start).count();
  };
  r.fps_background = rate(false, frames.size());
  r.fps_hog = rate(true, std::min<size_t>(frames.size(), 40));
  cv::Mat gray;
  const auto start = Clock::now();
  for (const cv::Mat& fr : frames) cv::cvtColor(fr, gray, cv::COLOR_BGR2GRAY);
  r.fps_convert_only =
      double(frames.size()) / std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

}  // namespace storegate::bench
