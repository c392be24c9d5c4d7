// my_plugin's behaviour.
#include "my_plugin.hpp"

#include <cmath>

namespace vendor::my_plugin {

MyPlugin::MyPlugin(storegate::sdk::Host host, const storegate::sdk::Config& config)
    : storegate::sdk::Plugin(std::move(host)), settings_(Settings::from(config)) {}

void MyPlugin::start() {
  thread_ = std::thread([this] { run(); });
}

void MyPlugin::stop(std::chrono::milliseconds) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

double MyPlugin::read() {
  static thread_local int tick = 0;  // trivial thread_local only (see docs/plugin-sdk.md)
  return 1000.0 + 25.0 * std::sin(++tick / 10.0);  // grams on the shelf
}

void MyPlugin::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    storegate::sdk::Event e;
    e.type = "store.sensor.reading";
    e.subject = settings_.sensor_id;
    e.data = "{\"sensor\":\"" + settings_.sensor_id +
             "\",\"kind\":\"weight\",\"value\":" + std::to_string(read()) + ",\"unit\":\"g\"}";
    if (const sg_status s = host().emit(e); s != SG_OK) {
      host().warn("reading not accepted (status " + std::to_string(s) + "), will retry");
    }
    lock.lock();
    wake_.wait_for(lock, settings_.interval, [&] { return stopping_; });
  }
}

}  // namespace vendor::my_plugin
