// camera_footfall's pipeline on 640×480 frames, one core: frames/s with background
// subtraction and with the HOG detector, against the frame's BGR→gray conversion alone.
#pragma once

#include <filesystem>

namespace storegate::bench {

struct FootfallResult {
  double fps_background = 0;
  double fps_hog = 0;
  double fps_convert_only = 0;
  bool ran = false;
};

FootfallResult footfallRun(const std::filesystem::path& video, int frames);

}  // namespace storegate::bench
