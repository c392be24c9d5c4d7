#include "video_input.hpp"

#include <opencv2/videoio.hpp>
#include <thread>

namespace storegate::plugins::camera {

namespace {
using Clock = std::chrono::steady_clock;

void pauseFor(std::chrono::milliseconds d, const std::function<bool()>& stopping) {
  const auto until = Clock::now() + d;
  while (!stopping() && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}
}  // namespace

void runVideo(const VideoSettings& s, const std::function<bool()>& stopping,
              const std::function<void(const std::string&)>& problem,
              const std::function<void(const cv::Mat&)>& frame) {
  const auto frame_time = std::chrono::microseconds(1'000'000 / std::max(1, s.max_fps));
  const bool device = s.url.rfind("/dev/video", 0) == 0;
  const bool file = !device && s.url.find("://") == std::string::npos;
  cv::Mat f;
  while (!stopping()) {
    cv::VideoCapture cap;
    if (device) {
      cap.open(s.url, cv::CAP_V4L2);
    } else {
      cap.open(s.url);
    }
    if (!cap.isOpened()) {
      problem("cannot open camera '" + s.url + "'; retrying");
      pauseFor(s.reconnect, stopping);
      continue;
    }
    problem("");
    auto next = Clock::now();
    while (!stopping() && cap.read(f) && !f.empty()) {
      frame(f);
      // The frame-rate cap keeps the router's CPU for everything else.
      next += frame_time;
      const auto now = Clock::now();
      if (next > now) {
        std::this_thread::sleep_until(next);
      } else {
        next = now;
      }
    }
    if (file && !s.loop) {
      while (!stopping()) pauseFor(std::chrono::milliseconds(200), stopping);  // done: idle
      return;
    }
    if (!file) problem("camera '" + s.url + "' stopped delivering frames; reconnecting");
  }
}

}  // namespace storegate::plugins::camera
