#include "hid_keymap.hpp"

#include <linux/input-event-codes.h>

namespace storegate::plugins::member_code {

namespace {
// Plain and shifted characters for the keys a scanner types.
char character(int code, bool shift) {
  static const char* const kDigits = "1234567890";
  static const char* const kShiftDigits = "!@#$%^&*()";
  if (code >= KEY_1 && code <= KEY_0) return (shift ? kShiftDigits : kDigits)[code - KEY_1];
  struct Row {
    int first, last;
    const char* plain;
    const char* shifted;
  };
  static const Row kRows[] = {{KEY_Q, KEY_P, "qwertyuiop", "QWERTYUIOP"},
                              {KEY_A, KEY_L, "asdfghjkl", "ASDFGHJKL"},
                              {KEY_Z, KEY_M, "zxcvbnm", "ZXCVBNM"}};
  for (const Row& r : kRows)
    if (code >= r.first && code <= r.last) return (shift ? r.shifted : r.plain)[code - r.first];
  switch (code) {
    case KEY_MINUS:
      return shift ? '_' : '-';
    case KEY_EQUAL:
      return shift ? '+' : '=';
    case KEY_DOT:
      return shift ? '>' : '.';
    case KEY_SLASH:
      return shift ? '?' : '/';
    case KEY_SEMICOLON:
      return shift ? ':' : ';';
    case KEY_SPACE:
      return ' ';
    case KEY_KP0:
      return '0';
    case KEY_KP1:
      return '1';
    case KEY_KP2:
      return '2';
    case KEY_KP3:
      return '3';
    case KEY_KP4:
      return '4';
    case KEY_KP5:
      return '5';
    case KEY_KP6:
      return '6';
    case KEY_KP7:
      return '7';
    case KEY_KP8:
      return '8';
    case KEY_KP9:
      return '9';
    default:
      return 0;
  }
}
}  // namespace

std::optional<std::string> HidKeymap::feed(int code, int value) {
  if (code == KEY_LEFTSHIFT || code == KEY_RIGHTSHIFT) {
    shift_ = value != 0;
    return std::nullopt;
  }
  if (value != 1) return std::nullopt;  // act on key down only
  if (code == KEY_ENTER || code == KEY_KPENTER) {
    std::string done;
    done.swap(line_);
    if (done.empty()) return std::nullopt;
    return done;
  }
  if (const char c = character(code, shift_); c != 0 && line_.size() < 512) line_.push_back(c);
  return std::nullopt;
}

}  // namespace storegate::plugins::member_code
