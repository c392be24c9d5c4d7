// camera_footfall's pipeline on 640×480 frames, one core: frames/s with background
// subtraction and with the HOG detector, against the frame's BGR→gray conversion alone.
#pragma once

#include <filesystem>
#include <string>

namespace storegate::bench {

struct FootfallResult {
  double fps_background = 0;
  double fps_hog = 0;
  double fps_convert_only = 0;
  bool ran = false;
};

FootfallResult footfallRun(const std::filesystem::path& video, int frames);

// The real daemon as a child process, over `seconds`: CPU (% of one core) and RSS, once
// idle (no plugins: the baseline) and once running camera_footfall on `video` at 15 fps.
struct DaemonLoad {
  double cpu_percent = 0;
  double rss_mb = 0;
};
struct FootfallDaemonResult {
  bool ran = false;
  std::string error;
  DaemonLoad idle, footfall;
};
FootfallDaemonResult footfallDaemonRun(const std::filesystem::path& video,
                                       const std::filesystem::path& dir, double seconds);

}  // namespace storegate::bench
