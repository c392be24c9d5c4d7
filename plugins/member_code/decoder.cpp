#include "decoder.hpp"

#include <ZXing/ReadBarcode.h>

#include <opencv2/imgproc.hpp>
#include <storegate/sdk.hpp>

namespace storegate::plugins::member_code {

namespace {
struct Named {
  const char* name;
  ZXing::BarcodeFormat format;
};
constexpr Named kFormats[] = {
    {"qr", ZXing::BarcodeFormat::QRCode},
    {"ean13", ZXing::BarcodeFormat::EAN13},
    {"ean8", ZXing::BarcodeFormat::EAN8},
    {"upca", ZXing::BarcodeFormat::UPCA},
    {"code128", ZXing::BarcodeFormat::Code128},
    {"code39", ZXing::BarcodeFormat::Code39},
    {"datamatrix", ZXing::BarcodeFormat::DataMatrix},
};

std::string nameOf(ZXing::BarcodeFormat f) {
  for (const Named& n : kFormats)
    if (n.format == f) return n.name;
  return "other";
}
}  // namespace

struct FrameDecoder::Impl {
  ZXing::DecodeHints hints;
};

FrameDecoder::FrameDecoder(const std::vector<std::string>& formats) : impl_(new Impl) {
  ZXing::BarcodeFormats wanted;
  for (const std::string& f : formats) {
    const Named* found = nullptr;
    for (const Named& n : kFormats)
      if (f == n.name) found = &n;
    if (found == nullptr) {
      delete impl_;
      throw sdk::Error("camera.formats: unknown format '" + f +
                           "' (known: qr, ean13, ean8, upca, code128, code39, datamatrix)",
                       SG_ERR_INVALID);
    }
    wanted |= found->format;
  }
  impl_->hints.setFormats(wanted);
  impl_->hints.setTryRotate(true);   // codes held up at an angle
  impl_->hints.setTryHarder(false);  // frame rate matters more: the next frame tries again
  impl_->hints.setMaxNumberOfSymbols(8);
}

FrameDecoder::~FrameDecoder() {
  delete impl_;
}

std::vector<Decoded> FrameDecoder::decode(const cv::Mat& frame) {
  const cv::Mat* gray = &frame;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, gray_, cv::COLOR_BGR2GRAY);
    gray = &gray_;
  }
  const ZXing::ImageView view(gray->data, gray->cols, gray->rows, ZXing::ImageFormat::Lum,
                              static_cast<int>(gray->step));
  std::vector<Decoded> out;
  for (const ZXing::Result& r : ZXing::ReadBarcodes(view, impl_->hints)) {
    if (r.isValid()) out.push_back({r.text(), nameOf(r.format())});
  }
  return out;
}

}  // namespace storegate::plugins::member_code
