// hello: the smallest useful source. Emits a greeting every `interval`, numbering them
// across restarts and hot swaps through the host's persistent state.
#pragma once

#include <condition_variable>
#include <mutex>
#include <storegate/sdk.hpp>
#include <thread>

namespace storegate::plugins::hello {

struct Settings {
  std::string greeting;
  std::chrono::milliseconds interval;
  int64_t count;  // 0: forever

  static Settings from(const sdk::Config& c) {
    return {c.getString("greeting"), c.getDuration("interval"), c.getInt("count")};
  }
};

class Hello final : public sdk::Plugin {
 public:
  Hello(sdk::Host host, const sdk::Config& config);
  ~Hello() override;

  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  void reconfigure(const sdk::Config& config) override;
  sg_health_level health() override;

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  Settings settings_;
  bool stopping_ = false;
  uint64_t failures_in_a_row_ = 0;
  std::thread thread_;
};

}  // namespace storegate::plugins::hello
