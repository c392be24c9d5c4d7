// camera_footfall: footfall and zone dwell from a door camera (see pipeline.hpp).
//
// One capture thread per instance: a video file, an RTSP URL or a V4L2 device through
// OpenCV, frames resized to `scale_width`, at most `max_fps` processed, reopened after
// `reconnect_interval` when the stream drops. Emits `store.footfall.crossing` per crossing,
// `store.footfall.count` per line every `count_interval`, `store.zone.dwell` when a person
// leaves a zone; gauge `occupancy` (people in view). Frames are never written anywhere;
// one leaves the process only as the answer to an admin's "snapshot" query.
#pragma once

#include <atomic>
#include <condition_variable>
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
  // The lines and zones parsed as the constructor does, with no camera opened (ABI 1.2).
  static void validateConfig(const sdk::Config& config, sdk::ConfigIssues& issues);

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;
  // "snapshot": the next frame with lines, zones and tracks drawn, as image/png (the
  // installer's calibration aid). Waits up to 3 s for a frame; SG_ERR_TIMEOUT without one.
  sdk::QueryReply query(std::string_view name, std::string_view payload) override;

 private:
  void run();
  void emitAll(std::vector<sdk::Event>& events);
  void problem(const std::string& p);
  // On the capture thread: answers a pending snapshot request with this frame.
  void answerSnapshot(const cv::Mat& frame, const Pipeline& pipeline);

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

  std::mutex snap_mu_;
  std::condition_variable snap_cv_;
  std::atomic<bool> snap_wanted_{false};
  uint64_t snap_asked_ = 0;     // requests so far
  uint64_t snap_answered_ = 0;  // the request the last PNG answers
  std::string snap_png_;
};

// Parses `lines` and `zones` (JSON text). Throws sdk::Error naming the entry.
std::vector<Line> parseLines(const std::string& json);
std::vector<Zone> parseZones(const std::string& json);

}  // namespace storegate::plugins::footfall
