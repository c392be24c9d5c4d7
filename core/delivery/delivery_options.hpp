// How a sink's delivery worker batches, routes and retries (per instance, in config).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace storegate {

struct DeliveryOptions {
  size_t max_batch_events = 500;
  size_t max_batch_bytes = 1 << 20;
  // Wait up to this long for a batch to fill before delivering a partial one.
  std::chrono::milliseconds linger{0};
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{30'000};
  // Event type globs this sink receives; empty: every event. Others are skipped (their
  // cursor still advances).
  std::vector<std::string> match;
};

}  // namespace storegate
