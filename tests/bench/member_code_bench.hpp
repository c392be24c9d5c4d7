// member_code's decoder on 640×480 frames on one core: frames/s with a QR code in view
// and with none (the common case at a door), against OpenCV's own grayscale conversion of
// the same frames as the floor of per-frame work.
#pragma once

#include <filesystem>

namespace storegate::bench {

struct MemberCodeResult {
  double fps_with_code = 0;
  double fps_empty = 0;
  double fps_convert_only = 0;
  double fps_video = 0;  // the whole input: MJPEG file read by OpenCV, then decoded
  bool complete = false;
};

MemberCodeResult memberCodeRun(int frames, const std::filesystem::path& dir);

}  // namespace storegate::bench
