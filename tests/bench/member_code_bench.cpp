#include "member_code_bench.hpp"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <chrono>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "decoder.hpp"  // plugins/member_code

namespace storegate::bench {
namespace {
using Clock = std::chrono::steady_clock;

std::vector<cv::Mat> frames(int n, bool with_code) {
  const auto bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                        .encode(std::string("M-1001"), 160, 160);
  const auto m = ZXing::ToMatrix<uint8_t>(bits);
  const cv::Mat code(m.height(), m.width(), CV_8UC1, const_cast<uint8_t*>(m.data()));
  std::vector<cv::Mat> out;
  for (int i = 0; i < n; ++i) {
    cv::Mat gray(480, 640, CV_8UC1);
    cv::randu(gray, 90, 200);  // a textured scene, not a blank wall
    cv::GaussianBlur(gray, gray, cv::Size(5, 5), 0);
    if (with_code) code.copyTo(gray(cv::Rect(100 + i % 200, 120, code.cols, code.rows)));
    cv::Mat bgr;
    cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
    out.push_back(bgr);
  }
  return out;
}
}  // namespace

MemberCodeResult memberCodeRun(int n, const std::filesystem::path& dir) {
  MemberCodeResult r;
  plugins::member_code::FrameDecoder decoder({"qr", "ean13", "code128"});
  int decoded = 0;
  const auto with = frames(n, true);
  auto start = Clock::now();
  for (const cv::Mat& f : with) decoded += static_cast<int>(decoder.decode(f).size());
  r.fps_with_code = n / std::chrono::duration<double>(Clock::now() - start).count();
  const auto empty = frames(n, false);
  start = Clock::now();
  for (const cv::Mat& f : empty) decoded += 1000 * static_cast<int>(decoder.decode(f).size());
  r.fps_empty = n / std::chrono::duration<double>(Clock::now() - start).count();
  cv::Mat gray;
  start = Clock::now();
  for (const cv::Mat& f : empty) cv::cvtColor(f, gray, cv::COLOR_BGR2GRAY);
  r.fps_convert_only = n / std::chrono::duration<double>(Clock::now() - start).count();
  // The whole camera input on a video file: read (MJPEG decode) + decode, as the plugin does.
  std::filesystem::create_directories(dir);
  const auto video = (dir / "door.avi").string();
  {
    cv::VideoWriter w(video, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 15, cv::Size(640, 480));
    for (const cv::Mat& f : with) w.write(f);
  }
  cv::VideoCapture cap(video);
  cv::Mat f;
  int read = 0, found = 0;
  start = Clock::now();
  while (cap.read(f)) {
    ++read;
    found += static_cast<int>(decoder.decode(f).size());
  }
  r.fps_video = read / std::chrono::duration<double>(Clock::now() - start).count();
  std::filesystem::remove_all(dir);
  // Every code found, nothing invented in empty frames, every video frame read and decoded.
  r.complete = decoded == n && read == n && found == n;
  return r;
}

}  // namespace storegate::bench
