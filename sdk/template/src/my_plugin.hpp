// my_plugin: a template source. It reads a (simulated) shelf sensor every `interval` and
// emits store.sensor.reading events. Replace `read()` with your device's protocol.
#pragma once

#include <condition_variable>
#include <mutex>
#include <storegate/sdk.hpp>
#include <thread>

namespace vendor::my_plugin {

// Typed settings, read once from the validated config.
struct Settings {
  std::string sensor_id;
  std::chrono::milliseconds interval;

  static Settings from(const storegate::sdk::Config& c) {
    return {c.getString("sensor_id"), c.getDuration("interval")};
  }
};

class MyPlugin final : public storegate::sdk::Plugin {
 public:
  MyPlugin(storegate::sdk::Host host, const storegate::sdk::Config& config);

  void start() override;                          // spawn the worker thread
  void stop(std::chrono::milliseconds) override;  // join it: required by the contract

 private:
  void run();
  double read();

  const Settings settings_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vendor::my_plugin
