// A camera for a plugin: a video file, an RTSP URL or a V4L2 device (/dev/videoN) through
// OpenCV, paced to at most `max_fps` frames a second, reopened after `reconnect` when a
// live stream fails. Frames are handed over in memory and never written anywhere.
#pragma once

#include <chrono>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

namespace storegate::plugins::camera {

struct VideoSettings {
  std::string url;
  int max_fps = 10;
  bool loop = false;  // files: start again at the end (demos); otherwise idle at the end
  std::chrono::milliseconds reconnect{2000};
};

// Runs until `stopping()` is true. `problem` gets a message when the camera cannot be
// opened or stops delivering, and an empty one when frames flow again.
void runVideo(const VideoSettings& s, const std::function<bool()>& stopping,
              const std::function<void(const std::string&)>& problem,
              const std::function<void(const cv::Mat&)>& frame);

}  // namespace storegate::plugins::camera
