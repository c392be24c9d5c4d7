#include "pipeline.hpp"

#include <algorithm>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video/background_segm.hpp>

namespace storegate::plugins::footfall {

namespace {
float cross(cv::Point2f o, cv::Point2f a, cv::Point2f b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

cv::KalmanFilter makeFilter(cv::Point2f p) {
  // State (x, y, vx, vy), measurement (x, y), constant velocity, one frame per step.
  cv::KalmanFilter kf(4, 2, 0, CV_32F);
  kf.transitionMatrix = (cv::Mat_<float>(4, 4) << 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1);
  cv::setIdentity(kf.measurementMatrix);
  cv::setIdentity(kf.processNoiseCov, cv::Scalar::all(1e-1));
  cv::setIdentity(kf.measurementNoiseCov, cv::Scalar::all(4));
  cv::setIdentity(kf.errorCovPost, cv::Scalar::all(10));
  kf.statePost = (cv::Mat_<float>(4, 1) << p.x, p.y, 0, 0);
  return kf;
}

cv::Point2f centre(const cv::Rect& r) {
  return {r.x + r.width / 2.0F, r.y + r.height / 2.0F};
}
}  // namespace

bool segmentsCross(cv::Point2f a, cv::Point2f b, cv::Point2f c, cv::Point2f d, float& side) {
  const float d1 = cross(c, d, a), d2 = cross(c, d, b);
  const float d3 = cross(a, b, c), d4 = cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    side = d1 < 0 ? 1.0F : -1.0F;  // image y grows downwards: left of c→d has d1 < 0
    return true;
  }
  return false;
}

float distanceTo(const std::vector<cv::Point2f>& polyline, cv::Point2f p) {
  float best = std::numeric_limits<float>::max();
  for (size_t i = 0; i + 1 < polyline.size(); ++i) {
    const cv::Point2f a = polyline[i], ab = polyline[i + 1] - a;
    const float len2 = ab.dot(ab);
    const float t = len2 > 0 ? std::clamp((p - a).dot(ab) / len2, 0.0F, 1.0F) : 0.0F;
    best = std::min(best, static_cast<float>(cv::norm(p - (a + t * ab))));
  }
  return best;
}

Pipeline::Pipeline(Settings s) : s_(std::move(s)) {
  if (s_.hog) {
    hog_ = std::make_unique<cv::HOGDescriptor>();
    hog_->setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  } else {
    mog_ = cv::createBackgroundSubtractorMOG2(s_.history, s_.var_threshold, /*shadows=*/true);
  }
}

Pipeline::~Pipeline() = default;

std::vector<cv::Rect> Pipeline::detect(const cv::Mat& bgr) {
  std::vector<cv::Rect> out;
  if (hog_) {
    std::vector<double> weights;
    hog_->detectMultiScale(bgr, out, weights, 0, cv::Size(8, 8), cv::Size(), 1.05, 2);
    return out;
  }
  mog_->apply(bgr, mask_);
  // Shadows are marked 127 by MOG2: keep only the foreground (255).
  cv::threshold(mask_, mask_, 200, 255, cv::THRESH_BINARY);
  static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
  cv::morphologyEx(mask_, mask_, cv::MORPH_OPEN, kernel);
  cv::morphologyEx(mask_, mask_, cv::MORPH_CLOSE, kernel, cv::Point(-1, -1), 2);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask_, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  for (const auto& c : contours) {
    if (cv::contourArea(c) >= s_.min_area) out.push_back(cv::boundingRect(c));
  }
  split(out);
  return out;
}

void Pipeline::split(std::vector<cv::Rect>& boxes) const {
  if (s_.person_aspect <= 0) return;
  const size_t n = boxes.size();
  for (size_t i = 0; i < n; ++i) {
    const cv::Rect b = boxes[i];
    // How many people of this height fit side by side in the blob; a person with arms
    // and legs out is wider than the average one, so a blob must hold 1.75 to be split.
    const int people = std::min(4, static_cast<int>(b.width * s_.person_aspect / b.height + 0.25));
    if (people < 2) continue;
    const int w = b.width / people;
    boxes[i].width = w;
    for (int k = 1; k < people; ++k) boxes.emplace_back(b.x + k * w, b.y, w, b.height);
  }
}

void Pipeline::crossings(Track& t, cv::Point2f from, cv::Point2f to, FrameResult& out) const {
  t.pending.resize(s_.lines.size());
  for (size_t l = 0; l < s_.lines.size(); ++l) {
    const Line& line = s_.lines[l];
    int& pending = t.pending[l];
    for (size_t i = 0; i + 1 < line.points.size(); ++i) {
      float side = 0;
      if (segmentsCross(from, to, line.points[i], line.points[i + 1], side)) {
        const int dir = side > 0 ? 1 : -1;
        pending = pending == -dir ? 0 : dir;  // crossing back cancels
        break;
      }
    }
    if (pending != 0 && distanceTo(line.points, to) >= s_.line_margin) {
      out.crossings.push_back({line.name, pending > 0, t.id});
      pending = 0;
    }
  }
}

void Pipeline::settleLost(Track& t, FrameResult& out) const {
  // Lost past the line but within the margin (occluded, or out of view): it crossed.
  for (size_t l = 0; l < t.pending.size(); ++l)
    if (t.pending[l] != 0) out.crossings.push_back({s_.lines[l].name, t.pending[l] > 0, t.id});
}

void Pipeline::zones(Track& t, double t_s, bool lost, FrameResult& out) const {
  for (const Zone& z : s_.zones) {
    const bool inside = !lost && cv::pointPolygonTest(z.polygon, t.pos, false) >= 0;
    const auto it = t.in_zone.find(z.name);
    if (inside && it == t.in_zone.end()) {
      t.in_zone[z.name] = t_s;
    } else if (!inside && it != t.in_zone.end()) {
      out.dwells.push_back({z.name, t.id, it->second, t_s - it->second});
      t.in_zone.erase(it);
    }
  }
}

FrameResult Pipeline::process(const cv::Mat& bgr, double t_s) {
  return track(detect(bgr), t_s);
}

FrameResult Pipeline::track(std::vector<cv::Rect> detections, double t_s) {
  FrameResult out;
  out.detections = std::move(detections);
  // Predict, then match each track to its nearest unclaimed detection (nearest pairs first).
  std::vector<cv::Point2f> predicted;
  for (Track& t : tracks_) {
    const cv::Mat p = t.kf.predict();
    predicted.emplace_back(p.at<float>(0), p.at<float>(1));
  }
  struct Pair {
    float d;
    size_t track, det;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < tracks_.size(); ++i)
    for (size_t j = 0; j < out.detections.size(); ++j) {
      const float d = static_cast<float>(cv::norm(predicted[i] - centre(out.detections[j])));
      if (d <= s_.max_distance) pairs.push_back({d, i, j});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.d < b.d; });
  std::vector<bool> track_used(tracks_.size()), det_used(out.detections.size());
  for (const Pair& p : pairs) {
    if (track_used[p.track] || det_used[p.det]) continue;
    track_used[p.track] = det_used[p.det] = true;
    Track& t = tracks_[p.track];
    const cv::Point2f c = centre(out.detections[p.det]);
    const cv::Mat m = (cv::Mat_<float>(2, 1) << c.x, c.y);
    const cv::Mat s = t.kf.correct(m);
    const cv::Point2f from = t.pos;
    t.pos = {s.at<float>(0), s.at<float>(1)};
    t.box = out.detections[p.det];
    t.missed = 0;
    if (++t.hits > s_.min_hits) crossings(t, from, t.pos, out);
    zones(t, t_s, false, out);
  }
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (!track_used[i]) ++tracks_[i].missed;
  }
  // Lost tracks end their dwell; new detections start tracks.
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (it->missed > s_.max_missed) {
      zones(*it, t_s, true, out);
      settleLost(*it, out);
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
  for (size_t j = 0; j < out.detections.size(); ++j) {
    if (det_used[j]) continue;
    const cv::Point2f c = centre(out.detections[j]);
    tracks_.push_back({next_id_++, makeFilter(c), c, out.detections[j], 1, 0, {}, {}});
  }
  for (const Track& t : tracks_) out.tracks += t.hits > s_.min_hits && t.missed == 0;
  return out;
}

void Pipeline::annotate(cv::Mat& frame) const {
  for (const Line& l : s_.lines) {
    for (size_t i = 0; i + 1 < l.points.size(); ++i)
      cv::line(frame, l.points[i], l.points[i + 1], cv::Scalar(0, 0, 255), 2);
    if (!l.points.empty())
      cv::putText(frame, l.name, l.points[0], cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 255));
    if (l.points.size() >= 2) {  // an arrow at the first segment's middle, pointing "in"
      const cv::Point2f a = l.points[0], b = l.points[1], mid = (a + b) * 0.5F;
      const cv::Point2f d = (b - a) / static_cast<float>(std::max(1.0, cv::norm(b - a)));
      const cv::Point2f in(-d.y, d.x);
      cv::arrowedLine(frame, mid, mid + in * 24.0F, cv::Scalar(0, 0, 255), 2, cv::LINE_8, 0, 0.3);
      cv::putText(frame, "in", mid + in * 10.0F + cv::Point2f(-6, -8), cv::FONT_HERSHEY_SIMPLEX,
                  0.45, cv::Scalar(0, 0, 255));
    }
  }
  for (const Zone& z : s_.zones) {
    std::vector<cv::Point> poly(z.polygon.begin(), z.polygon.end());
    cv::polylines(frame, poly, true, cv::Scalar(255, 0, 0), 2);
  }
  for (const Track& t : tracks_) {
    if (t.hits <= s_.min_hits || t.missed > 0) continue;  // only people that would count
    cv::rectangle(frame, t.box, cv::Scalar(0, 255, 0), 2);
    cv::putText(frame, std::to_string(t.id), t.box.tl(), cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(0, 255, 0));
  }
}

}  // namespace storegate::plugins::footfall
