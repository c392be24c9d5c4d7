// A HID keyboard-wedge scanner "types" its code: evdev key events → characters (US layout,
// as scanners are configured), Enter ends the code.
#pragma once

#include <optional>
#include <string>

namespace storegate::plugins::member_code {

class HidKeymap {
 public:
  // Feeds one EV_KEY event (code, value: 1 down, 0 up, 2 repeat). Returns a finished line
  // when Enter goes down.
  std::optional<std::string> feed(int code, int value);

 private:
  bool shift_ = false;
  std::string line_;
};

}  // namespace storegate::plugins::member_code
