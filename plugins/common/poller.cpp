#include "poller.hpp"

namespace storegate::plugins {

void Poller::start(std::function<bool()> poll) {
  poll_ = std::move(poll);
  thread_ = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Poller::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

sg_health_level Poller::health() const {
  std::lock_guard lock(mu_);
  return problem_.empty() ? SG_HEALTH_OK : SG_HEALTH_DEGRADED;
}

void Poller::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool more = false;
    std::string problem;
    try {
      more = poll_();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    lock.lock();
    if (!problem.empty() && problem != problem_) {
      host_.warn(problem + " (retrying)");
      host_.setError(problem);
    }
    problem_ = problem;
    if (!more) wake_.wait_for(lock, interval_, [&] { return stopping_; });
  }
}

}  // namespace storegate::plugins
