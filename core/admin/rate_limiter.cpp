#include "admin/rate_limiter.hpp"

#include <algorithm>

namespace storegate::admin {

bool RateLimiter::allow(const std::string& client) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (buckets_.size() > 10'000) buckets_.clear();  // bounded memory under a scan
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{double(burst_), now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(double(burst_), b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace storegate::admin
