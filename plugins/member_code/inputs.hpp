// Where member codes come from: a camera (file, RTSP or V4L2 through OpenCV), a TCP line
// socket, a serial scanner, or a HID keyboard-wedge scanner (evdev). Each run function
// loops until `stopping()` says so, reopens its device after `reconnect` when it fails,
// and reports through the context: codes as they are read, problems as they change (an
// empty problem: working again).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "decoder.hpp"
#include "video_input.hpp"  // camera_common

namespace storegate::plugins::member_code {

struct InputContext {
  std::function<bool()> stopping;
  std::function<void(const std::string& raw, const std::string& symbology)> code;
  std::function<void(const std::string& problem)> problem;
  std::chrono::milliseconds reconnect{2000};
};

void runCamera(const camera::VideoSettings& s, FrameDecoder& decoder, InputContext& ctx);

struct TcpSettings {
  std::string host = "127.0.0.1";
  int port = 9100;
  int max_connections = 4;
};
void runTcp(const TcpSettings& s, InputContext& ctx);

struct SerialSettings {
  std::string device;
  int baud = 9600;
};
void runSerial(const SerialSettings& s, InputContext& ctx);

struct HidSettings {
  std::string device;  // /dev/input/by-id/…-event-kbd
  bool grab = true;    // keep the codes away from the router's console
};
void runHid(const HidSettings& s, InputContext& ctx);

}  // namespace storegate::plugins::member_code
