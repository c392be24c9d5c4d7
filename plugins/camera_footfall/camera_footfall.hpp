// camera_footfall: footfall and zone dwell from a door camera (see pipeline.hpp).
//
// One capture thread per instance: a video file, an RTSP URL or a V4L2 device through
// OpenCV, frames resized to `scale_width`, at most `max_fps` processed, reopened after
// `reconnect_interval` when the stream drops. Emits `store.footfall.crossing` per crossing,
// `store.footfall.count` per line every `count_interval`, `store.zone.dwell` when a person
// leaves a zone; gauge `occupancy` (people in view). Frames are never written anywhere.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>

#include "pipeline.hpp"
#include "video_input.hpp"  // camera_common

namespace storegate::plugins::footfall {

class CameraFootfall final : public sdk::Plugin {
 public:
  CameraFootfall(sdk::Host host, const sdk::Config& config);
  ~CameraFootfall() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;

 private:
  void run();
  void emitAll(std::vector<sdk::Event>& events);
  void problem(const std::string& p);

  Settings pipeline_settings_;
  std::string url_;
  int max_fps_;
  bool loop_;
  int scale_width_;
  std::chrono::milliseconds count_interval_;
  std::chrono::milliseconds reconnect_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::string problem_;
  std::thread thread_;
};

// Parses `lines` and `zones` (JSON text). Throws sdk::Error naming the entry.
std::vector<Line> parseLines(const std::string& json);
std::vector<Zone> parseZones(const std::string& json);

}  // namespace storegate::plugins::footfall
