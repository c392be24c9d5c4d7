#include "shelf.hpp"

#include <cmath>

namespace storegate::plugins::sensor_mqtt {

std::optional<ShelfChange> ShelfTracker::feed(double grams, int64_t now_ms, const Mapping& m) {
  const double noise = m.tolerance * m.item_weight;
  if (!baseline_) {
    baseline_ = grams;  // the first weight seen is the shelf as it stands
    return std::nullopt;
  }
  if (std::abs(grams - *baseline_) < noise) {
    candidate_.reset();  // back where it was: nothing happened
    return std::nullopt;
  }
  if (!candidate_ || std::abs(grams - *candidate_) >= noise) {
    candidate_ = grams;  // a new level starts settling
    candidate_since_ = now_ms;
  } else {
    candidate_ = grams;  // the same level, newest reading
  }
  return tick(now_ms, m);
}

std::optional<ShelfChange> ShelfTracker::tick(int64_t now_ms, const Mapping& m) {
  if (!candidate_ || now_ms - candidate_since_ < m.settle.count()) return std::nullopt;
  const double delta = *candidate_ - *baseline_;
  const int items = static_cast<int>(std::lround(delta / m.item_weight));
  const double weight = *candidate_;
  candidate_.reset();
  if (items == 0) return std::nullopt;  // moved within an item: keep the old baseline
  baseline_ = weight;
  return ShelfChange{items, delta, weight};
}

}  // namespace storegate::plugins::sensor_mqtt
