// A recursive-descent JSON validator: one pass, no allocation, bounded depth.
#include "event/json_check.hpp"

#include <cstdint>

namespace storegate {
namespace {

class Checker {
 public:
  Checker(std::string_view t, int max_depth)
      : p_(t.data()), end_(t.data() + t.size()), max_depth_(max_depth) {}

  bool document() {
    ws();
    if (!value(0)) return false;
    ws();
    return p_ == end_;
  }

 private:
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool lit(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }
  static bool hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool string() {
    ++p_;  // opening quote
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++p_ >= end_) return false;
        switch (*p_) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            ++p_;
            break;
          case 'u':
            if (end_ - p_ < 5 || !hex(p_[1]) || !hex(p_[2]) || !hex(p_[3]) || !hex(p_[4]))
              return false;
            p_ += 5;
            break;
          default:
            return false;
        }
        continue;
      }
      if (c < 0x80) {
        ++p_;
        continue;
      }
      // UTF-8: lead byte, then the right number of continuation bytes; no overlongs.
      int extra = 0;
      uint32_t cp = 0;
      if ((c & 0xE0) == 0xC0) {
        extra = 1;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        extra = 2;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        extra = 3;
        cp = c & 0x07;
      } else
        return false;
      if (end_ - p_ <= extra) return false;
      for (int i = 1; i <= extra; ++i) {
        const auto cc = static_cast<unsigned char>(p_[i]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
      if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      p_ += extra + 1;
    }
    return false;
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }

  bool number() {
    if (*p_ == '-') ++p_;
    if (p_ >= end_) return false;
    if (*p_ == '0')
      ++p_;
    else if (!digits())
      return false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  bool value(int depth) {
    if (p_ >= end_) return false;
    switch (*p_) {
      case '"':
        return string();
      case 't':
        return lit("true");
      case 'f':
        return lit("false");
      case 'n':
        return lit("null");
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      default:
        return (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) && number();
    }
  }

  bool object(int depth) {
    if (depth > max_depth_) return false;
    ++p_;
    ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      ws();
      if (p_ >= end_ || *p_ != '"' || !string()) return false;
      ws();
      if (p_ >= end_ || *p_++ != ':') return false;
      ws();
      if (!value(depth)) return false;
      ws();
      if (p_ >= end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  bool array(int depth) {
    if (depth > max_depth_) return false;
    ++p_;
    ws();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      ws();
      if (!value(depth)) return false;
      ws();
      if (p_ >= end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  const char* p_;
  const char* end_;
  const int max_depth_;
};

}  // namespace

bool isValidJson(std::string_view text, int max_depth) {
  return Checker(text, max_depth).document();
}

}  // namespace storegate
