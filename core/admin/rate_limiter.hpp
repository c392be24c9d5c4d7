// A token bucket per client address: `rate` requests a second, bursts of `burst`.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace storegate::admin {

class RateLimiter {
 public:
  RateLimiter(double rate, int burst) : rate_(rate), burst_(burst) {}
  // Whether `client` may make a request now; false: answer 429.
  bool allow(const std::string& client);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double rate_;
  const int burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace storegate::admin
