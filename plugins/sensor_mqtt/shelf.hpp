// Turns a shelf's raw weights into pick-ups and put-backs: a new weight counts once it
// has held (within tolerance) for the settle time, so a hand resting on the shelf or a
// swinging hook is not a sale.
#pragma once

#include <cstdint>
#include <optional>

#include "mapping.hpp"

namespace storegate::plugins::sensor_mqtt {

struct ShelfChange {
  int items = 0;  // negative: taken, positive: put back
  double grams = 0;
  double weight = 0;  // the new stable weight
};

class ShelfTracker {
 public:
  // Feeds one weight at `now_ms`; returns a change once a new weight has settled.
  std::optional<ShelfChange> feed(double grams, int64_t now_ms, const Mapping& m);
  // Lets time pass without a new message (a settled weight may confirm meanwhile).
  std::optional<ShelfChange> tick(int64_t now_ms, const Mapping& m);

 private:
  std::optional<double> baseline_;
  std::optional<double> candidate_;
  int64_t candidate_since_ = 0;
};

}  // namespace storegate::plugins::sensor_mqtt
