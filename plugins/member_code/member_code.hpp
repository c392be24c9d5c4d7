// member_code: member codes read at the door or the till → store.member.scan events.
//
// One instance reads one input (a camera, a TCP line socket, a serial or a HID scanner)
// on its own thread. Each read passes the filter (prefix/suffix, pattern, debounce, the
// time-to-live of dynamic codes) and becomes one `store.member.scan` event
// {member_code, symbology, device, expires_at?} with subject = `location`. Camera frames
// stay in memory. Reads that are not member codes are counted (`codes_ignored`), repeats
// within the debounce window too (`codes_repeated`).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>

#include "code_filter.hpp"
#include "decoder.hpp"
#include "inputs.hpp"

namespace storegate::plugins::member_code {

class MemberCode final : public sdk::Plugin {
 public:
  MemberCode(sdk::Host host, const sdk::Config& config);
  ~MemberCode() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;

 private:
  void onCode(const std::string& raw, const std::string& symbology);
  void onProblem(const std::string& problem);

  enum class Input { kCamera, kTcp, kSerial, kHid };
  Input input_;
  std::string location_;
  std::string device_;  // named in events
  camera::VideoSettings camera_;
  TcpSettings tcp_;
  SerialSettings serial_;
  HidSettings hid_;
  std::unique_ptr<FrameDecoder> decoder_;
  CodeFilter filter_;  // the input thread only
  std::chrono::milliseconds reconnect_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::string problem_;  // under mu_
  std::thread thread_;
};

}  // namespace storegate::plugins::member_code
