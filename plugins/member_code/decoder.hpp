// Finds and decodes member codes in camera frames: ZXing-C++ on a grayscale view of the
// OpenCV frame. (Debian's OpenCV detects QR codes but cannot decode them: no quirc.)
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace storegate::plugins::member_code {

struct Decoded {
  std::string text;
  std::string symbology;  // "qr", "ean13", "code128", …
};

class FrameDecoder {
 public:
  // `formats`: names as in the config ("qr", "ean13", "ean8", "code128", "code39",
  // "datamatrix", "upca"). Throws sdk::Error (SG_ERR_INVALID) naming an unknown one.
  explicit FrameDecoder(const std::vector<std::string>& formats);
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Every code in the frame (BGR or grayscale), several per frame.
  [[nodiscard]] std::vector<Decoded> decode(const cv::Mat& frame);

 private:
  struct Impl;
  Impl* impl_;
  cv::Mat gray_;  // reused between frames
};

}  // namespace storegate::plugins::member_code
