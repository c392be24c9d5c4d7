#include "footfall_bench.hpp"

#include <unistd.h>

#include <csignal>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline.hpp"  // plugins/camera_footfall
#include "support/test_support.hpp"

namespace storegate::bench {

FootfallResult footfallRun(const std::filesystem::path& video, int n) {
  FootfallResult r;
  cv::VideoCapture cap(video.string());
  if (!cap.isOpened()) return r;
  std::vector<cv::Mat> frames;
  cv::Mat f, scaled;
  while (static_cast<int>(frames.size()) < n && cap.read(f)) {
    cv::resize(f, scaled, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
    frames.push_back(scaled.clone());
  }
  if (frames.empty()) return r;
  r.ran = true;
  using Clock = std::chrono::steady_clock;
  const auto rate = [&](bool hog, size_t count) {
    plugins::footfall::Settings s;
    s.hog = hog;
    s.lines.push_back({"middle", {{0, 240}, {640, 240}}});
    plugins::footfall::Pipeline p(s);
    const auto start = Clock::now();
    for (size_t i = 0; i < count; ++i) (void)p.process(frames[i], double(i) / 10);
    return double(count) / std::chrono::duration<double>(Clock::now() - start).count();
  };
  r.fps_background = rate(false, frames.size());
  r.fps_hog = rate(true, std::min<size_t>(frames.size(), 40));
  cv::Mat gray;
  const auto start = Clock::now();
  for (const cv::Mat& fr : frames) cv::cvtColor(fr, gray, cv::COLOR_BGR2GRAY);
  r.fps_convert_only =
      double(frames.size()) / std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

namespace {

// utime + stime of `pid` in seconds, from /proc/PID/stat (fields 14 and 15).
double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f && i <= 15; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  return (utime + stime) / double(sysconf(_SC_CLK_TCK));
}

double rssMb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  return 0;
}

// Starts the daemon on `plugins_yaml`, lets it settle, then measures over `seconds`.
bool measure(const std::filesystem::path& dir, const std::string& plugins_yaml, double seconds,
             DaemonLoad& out, std::string& error) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  test::writeFile(dir / "gateway.yaml",
                  "store_id: bench\ndata_dir: " + (dir / "var").string() + "\nplugin_dirs: [" +
                      test::pluginDir().string() + "]\nadmin:\n  enabled: false\nplugins:" +
                      plugins_yaml);
  test::Process daemon(test::storegatedPath(), {"--config", (dir / "gateway.yaml").string()},
                       dir / "daemon.log");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // plugins loaded, models warm
  if (!daemon.running()) {
    error = "storegated exited: " + daemon.output();
    return false;
  }
  const double cpu0 = cpuSeconds(daemon.pid());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.cpu_percent = 100 * (cpuSeconds(daemon.pid()) - cpu0) / wall;
  out.rss_mb = rssMb(daemon.pid());
  daemon.signal(SIGTERM);
  daemon.wait();
  return true;
}

}  // namespace

FootfallDaemonResult footfallDaemonRun(const std::filesystem::path& video,
                                       const std::filesystem::path& dir, double seconds) {
  FootfallDaemonResult r;
  if (!std::filesystem::exists(video)) {
    r.error = video.string() + " is missing (Debian: apt install opencv-doc)";
    return r;
  }
  const std::string camera = "\n  - name: door\n    plugin: camera_footfall\n    config:\n"
                             "      camera.url: " + video.string() +
                             "\n      camera.loop: true\n      camera.max_fps: 15\n"
                             "      person_aspect: 3\n"
                             "      lines: [{name: west, points: [[160, 110], [160, 250]]},"
                             " {name: east, points: [[560, 170], [560, 370]]}]\n";
  r.ran = measure(dir / "idle", " []", seconds, r.idle, r.error) &&
          measure(dir / "footfall", camera, seconds, r.footfall, r.error);
  return r;
}

}  // namespace storegate::bench
