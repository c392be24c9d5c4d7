// Footfall from a door camera: people found in each frame (background subtraction with
// shadow removal and morphology, or OpenCV's HOG people detector for angled views),
// followed by a multi-object tracker (constant-velocity Kalman filter per track, greedy
// association by distance), counted when a track's path crosses a counting line, and
// timed while it stays in a zone. Frames never leave this object.
#pragma once

#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cv {
class BackgroundSubtractorMOG2;
class HOGDescriptor;
}  // namespace cv

namespace storegate::plugins::footfall {

struct Line {
  std::string name;
  std::vector<cv::Point2f> points;  // a polyline; crossing it left-to-right (as drawn) is "in"
};

struct Zone {
  std::string name;
  std::vector<cv::Point2f> polygon;
};

struct Settings {
  bool hog = false;           // HOG people detector instead of background subtraction
  double min_area = 400;      // px², smaller blobs are noise
  int history = 300;          // frames the background model remembers
  double var_threshold = 25;  // MOG2 sensitivity
  double max_distance = 80;   // px, furthest a track may move between frames
  int max_missed = 8;         // frames a track survives without a detection
  int min_hits = 3;           // detections before a track may count
  // A crossing counts once the person is this far past the line, so that someone who
  // reaches the line and turns back is not counted in and out.
  double line_margin = 10;  // px
  // Height / width of one standing person in the picture. Blobs much wider than that
  // (people walking side by side) are split into that many people; 0: never split
  // (overhead cameras, where a person is round).
  double person_aspect = 0;
  std::vector<Line> lines;
  std::vector<Zone> zones;
};

struct Crossing {
  std::string line;
  bool in = true;
  int track = 0;
};

struct Dwell {
  std::string zone;
  int track = 0;
  double entered_s = 0;  // stream time
  double seconds = 0;
};

struct FrameResult {
  std::vector<cv::Rect> detections;
  std::vector<Crossing> crossings;
  std::vector<Dwell> dwells;  // tracks that left a zone (or were lost) in this frame
  int tracks = 0;             // confirmed tracks in view
};

class Pipeline {
 public:
  explicit Pipeline(Settings s);
  ~Pipeline();
  // One frame at stream time `t_s` (seconds): detect(), then track().
  FrameResult process(const cv::Mat& bgr, double t_s);
  // Tracking, counting and dwell for one frame's detections (people's boxes).
  FrameResult track(std::vector<cv::Rect> detections, double t_s);
  // Draws lines, zones and the current tracks onto `frame` (the calibration snapshot).
  void annotate(cv::Mat& frame) const;

 private:
  struct Track {
    int id;
    cv::KalmanFilter kf;
    cv::Point2f pos;
    cv::Rect box;
    int hits = 0;
    int missed = 0;
    std::map<std::string, double> in_zone;  // zone → entered at (s)
    std::vector<int> pending;               // per line: +1 crossed in, -1 out, 0 none
  };
  std::vector<cv::Rect> detect(const cv::Mat& bgr);
  void crossings(Track& t, cv::Point2f from, cv::Point2f to, FrameResult& out) const;
  void settleLost(Track& t, FrameResult& out) const;
  void split(std::vector<cv::Rect>& boxes) const;
  void zones(Track& t, double t_s, bool lost, FrameResult& out) const;

  Settings s_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> mog_;
  std::unique_ptr<cv::HOGDescriptor> hog_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
  cv::Mat mask_;
};

// True when segment a→b crosses segment c→d; `side` is the sign of the crossing
// (> 0 when a→b goes from the left of c→d to its right).
bool segmentsCross(cv::Point2f a, cv::Point2f b, cv::Point2f c, cv::Point2f d, float& side);

// Shortest distance from `p` to the polyline.
float distanceTo(const std::vector<cv::Point2f>& polyline, cv::Point2f p);

}  // namespace storegate::plugins::footfall
