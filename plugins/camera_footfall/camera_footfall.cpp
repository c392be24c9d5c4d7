#include "camera_footfall.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace storegate::plugins::footfall {

namespace {
using nlohmann::json;

std::vector<cv::Point2f> points(const json& list, const std::string& where, size_t min) {
  if (!list.is_array() || list.size() < min)
    throw sdk::Error(where + ": needs at least " + std::to_string(min) + " [x, y] points",
                     SG_ERR_INVALID);
  std::vector<cv::Point2f> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& p = list[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      throw sdk::Error(where + "[" + std::to_string(i) + "]: must be [x, y]", SG_ERR_INVALID);
    out.emplace_back(p[0].get<float>(), p[1].get<float>());
  }
  return out;
}

template <typename T>
std::vector<T> parseShapes(const std::string& text, const char* what, const char* key, size_t min) {
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_array()) throw sdk::Error(std::string(what) + ": must be a list", SG_ERR_INVALID);
  std::vector<T> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string where = std::string(what) + "[" + std::to_string(i) + "]";
    if (!doc[i].is_object() || !doc[i].contains("name") || !doc[i]["name"].is_string())
      throw sdk::Error(where + ": needs a string name", SG_ERR_INVALID);
    out.push_back({doc[i]["name"].get<std::string>(),
                   points(doc[i].value(key, json()), where + "." + key, min)});
  }
  return out;
}
}  // namespace

std::vector<Line> parseLines(const std::string& text) {
  return parseShapes<Line>(text, "lines", "points", 2);
}
std::vector<Zone> parseZones(const std::string& text) {
  return parseShapes<Zone>(text, "zones", "polygon", 3);
}

void CameraFootfall::validateConfig(const sdk::Config& c, sdk::ConfigIssues& issues) {
  // The same parsing the constructor does, so --check-config refuses what start would.
  const auto check = [&](const std::function<size_t()>& parse) -> size_t {
    try {
      return parse();
    } catch (const sdk::Error& e) {
      const std::string what = e.what();
      const size_t colon = what.find(": ");
      issues.add(colon == std::string::npos ? "" : what.substr(0, colon),
                 colon == std::string::npos ? what : what.substr(colon + 2));
      return 1;  // counts as something to count: no second complaint about emptiness
    }
  };
  const size_t lines = check([&] { return parseLines(c.getJson("lines")).size(); });
  const size_t zones = check([&] { return parseZones(c.getJson("zones")).size(); });
  if (lines == 0 && zones == 0)
    issues.add("lines", "lines and zones are both empty: nothing to count");
}

CameraFootfall::CameraFootfall(sdk::Host host, const sdk::Config& c)
    : sdk::Plugin(std::move(host)),
      url_(c.getString("camera.url")),
      max_fps_(static_cast<int>(c.getInt("camera.max_fps"))),
      loop_(c.getBool("camera.loop")),
      scale_width_(static_cast<int>(c.getInt("scale_width"))),
      count_interval_(c.getDuration("count_interval")),
      reconnect_(c.getDuration("reconnect_interval")) {
  pipeline_settings_.hog = c.getString("detector") == "hog";
  pipeline_settings_.min_area = c.getDouble("min_area");
  pipeline_settings_.max_distance = c.getDouble("max_distance");
  pipeline_settings_.line_margin = c.getDouble("line_margin");
  pipeline_settings_.person_aspect = c.getDouble("person_aspect");
  pipeline_settings_.lines = parseLines(c.getJson("lines"));
  pipeline_settings_.zones = parseZones(c.getJson("zones"));
  if (pipeline_settings_.lines.empty() && pipeline_settings_.zones.empty())
    throw sdk::Error("lines and zones are both empty: nothing to count", SG_ERR_INVALID);
}

CameraFootfall::~CameraFootfall() {
  stop(std::chrono::milliseconds(0));
}

void CameraFootfall::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CameraFootfall::stop(std::chrono::milliseconds) {
  stopping_ = true;
  snap_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CameraFootfall::problem(const std::string& p) {
  std::lock_guard lock(mu_);
  if (p != problem_ && !p.empty()) {
    host().warn(p);
    host().setError(p);
  }
  problem_ = p;
}

sg_health_level CameraFootfall::health() {
  std::lock_guard lock(mu_);
  if (problem_.empty()) return SG_HEALTH_OK;
  host().setError(problem_);
  return SG_HEALTH_DEGRADED;
}

sdk::QueryReply CameraFootfall::query(std::string_view name, std::string_view) {
  if (name != "snapshot")
    throw sdk::Error("unknown query '" + std::string(name) + "' (known: snapshot)",
                     SG_ERR_UNSUPPORTED);
  std::unique_lock lock(snap_mu_);
  const uint64_t mine = ++snap_asked_;
  snap_wanted_ = true;
  if (!snap_cv_.wait_for(lock, std::chrono::seconds(3),
                         [&] { return snap_answered_ >= mine || stopping_; }) ||
      snap_answered_ < mine) {
    std::string why;
    {
      std::lock_guard p(mu_);
      why = problem_;
    }
    throw sdk::Error("no frame from the camera within 3 s" + (why.empty() ? "" : ": " + why),
                     SG_ERR_TIMEOUT);
  }
  return {"image/png", snap_png_};
}

void CameraFootfall::answerSnapshot(const cv::Mat& frame, const Pipeline& pipeline) {
  cv::Mat annotated = frame.clone();
  pipeline.annotate(annotated);
  std::vector<uchar> png;
  cv::imencode(".png", annotated, png);
  std::lock_guard lock(snap_mu_);
  snap_png_.assign(png.begin(), png.end());
  snap_answered_ = snap_asked_;
  snap_wanted_ = false;
  snap_cv_.notify_all();
}

void CameraFootfall::emitAll(std::vector<sdk::Event>& events) {
  while (!events.empty() && !stopping_) {
    const sg_status s = host().emitBatch(events);
    if (s == SG_OK) break;
    if (s != SG_ERR_BACKPRESSURE) {
      problem("footfall events not stored (status " + std::to_string(s) + ")");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  events.clear();
}

void CameraFootfall::run() {
  Pipeline pipeline(pipeline_settings_);
  std::map<std::string, std::pair<int, int>> counts;  // line → (in, out) this interval
  int64_t interval_start = host().nowUnixNs();
  std::vector<sdk::Event> events;
  cv::Mat scaled;
  const camera::VideoSettings video{url_, max_fps_, loop_, reconnect_};
  camera::runVideo(
      video, [this] { return stopping_.load(); }, [this](const std::string& p) { problem(p); },
      [&](const cv::Mat& frame) {
        const double scale = scale_width_ > 0 && frame.cols != scale_width_
                                 ? double(scale_width_) / frame.cols
                                 : 1.0;
        if (scale != 1.0) {
          cv::resize(frame, scaled, cv::Size(), scale, scale, cv::INTER_AREA);
        } else {
          scaled = frame;
        }
        const int64_t now = host().nowUnixNs();
        const FrameResult r = pipeline.process(scaled, double(now) / 1e9);
        if (snap_wanted_) answerSnapshot(scaled, pipeline);
        for (const Crossing& c : r.crossings) {
          sdk::Event e;
          e.type = "store.footfall.crossing";
          e.subject = c.line;
          e.data =
              json{{"line", c.line}, {"direction", c.in ? "in" : "out"}, {"track", c.track}}.dump();
          events.push_back(std::move(e));
          auto& n = counts[c.line];
          (c.in ? n.first : n.second)++;
        }
        for (const Dwell& d : r.dwells) {
          sdk::Event e;
          e.type = "store.zone.dwell";
          e.subject = d.zone;
          e.data = json{{"zone", d.zone},
                        {"track", d.track},
                        {"entered_at", sdk::detail::rfc3339(int64_t(d.entered_s * 1e9))},
                        {"dwell_s", d.seconds}}
                       .dump();
          events.push_back(std::move(e));
        }
        host().gaugeSet("occupancy", r.tracks);
        if (now - interval_start >= std::chrono::nanoseconds(count_interval_).count()) {
          for (const Line& l : pipeline_settings_.lines) {
            const auto n = counts[l.name];
            sdk::Event e;
            e.type = "store.footfall.count";
            e.subject = l.name;
            e.data = json{{"line", l.name},
                          {"in", n.first},
                          {"out", n.second},
                          {"from", sdk::detail::rfc3339(interval_start)},
                          {"to", sdk::detail::rfc3339(now)}}
                         .dump();
            events.push_back(std::move(e));
          }
          counts.clear();
          interval_start = now;
        }
        emitAll(events);
        host().counterAdd("frames");
      });
}

}  // namespace storegate::plugins::footfall
