// hello's behaviour: a timer thread that emits numbered greetings.
#include "hello.hpp"

namespace storegate::plugins::hello {

Hello::Hello(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)), settings_(Settings::from(config)) {}

Hello::~Hello() {
  // stop() joins; this only guards against a host that skipped it.
  if (thread_.joinable()) stop(std::chrono::milliseconds(0));
}

void Hello::start() {
  thread_ = std::thread([this] { run(); });
}

void Hello::stop(std::chrono::milliseconds) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Hello::reconfigure(const sdk::Config& config) {
  Settings next = Settings::from(config);
  const std::string greeting = next.greeting;
  {
    std::lock_guard lock(mu_);
    settings_ = std::move(next);
  }
  wake_.notify_all();
  host().info("greeting is now '" + greeting + "'");
}

sg_health_level Hello::health() {
  std::lock_guard lock(mu_);
  return failures_in_a_row_ > 3 ? SG_HEALTH_DEGRADED : SG_HEALTH_OK;
}

void Hello::run() {
  const auto saved = host().stateGet("next");
  uint64_t next = saved ? std::stoull(*saved) : 1;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const Settings s = settings_;
    if (s.count > 0 && next > static_cast<uint64_t>(s.count)) {
      wake_.wait(lock, [&] { return stopping_; });
      break;
    }
    lock.unlock();
    sdk::Event e;
    e.type = "gateway.demo.hello";
    e.subject = host().instanceName();
    e.data = "{\"greeting\":";
    sdk::detail::appendJsonString(e.data, s.greeting);
    e.data += ",\"n\":" + std::to_string(next) + "}";
    const sg_status status = host().emit(e);
    lock.lock();
    if (status == SG_OK) {
      failures_in_a_row_ = 0;
      ++next;
      sdk::ignore(host().statePut("next", std::to_string(next)),
                  "a lost counter only repeats greeting numbers after a restart");
    } else {
      ++failures_in_a_row_;
    }
    wake_.wait_for(lock, s.interval, [&] { return stopping_; });
  }
}

}  // namespace storegate::plugins::hello
