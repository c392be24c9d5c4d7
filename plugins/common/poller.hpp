// A plugin's background loop: runs a function every interval on its own thread, and turns
// what it throws into the instance's health and last error. Shared by polling plugins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <storegate/sdk.hpp>
#include <string>
#include <thread>

namespace storegate::plugins {

// Runs `poll` on its own thread every `interval` until stop(). `poll` returns true to run
// again at once (more work waiting) and reports trouble by throwing: the message becomes
// the health reason and the instance's last error, logged once per change.
class Poller {
 public:
  Poller(sdk::Host host, std::chrono::milliseconds interval)
      : host_(std::move(host)), interval_(interval) {}
  ~Poller() { stop(); }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void start(std::function<bool()> poll);
  void stop();  // joins the thread
  [[nodiscard]] bool stopping() const;
  [[nodiscard]] sg_health_level health() const;

 private:
  void run();

  const sdk::Host host_;
  const std::chrono::milliseconds interval_;
  std::function<bool()> poll_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace storegate::plugins
