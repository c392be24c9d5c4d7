// Metrics without a global registry: components own their counters (atomics) and a
// collector writes them out in Prometheus text format when asked.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace storegate {

// A fixed-bucket latency histogram in seconds; lock-free to observe.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
  void observe(double seconds);
  [[nodiscard]] uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const;
  // Cumulative count of observations ≤ kBounds[i]; index kBounds.size() is +Inf.
  [[nodiscard]] uint64_t cumulative(size_t i) const;
  // The smallest bound below which at least `q` of the observations fall (upper estimate).
  [[nodiscard]] double quantile(double q) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Accumulates one exposition; each family's HELP/TYPE is written once.
class MetricWriter {
 public:
  void counter(const std::string& name, const std::string& help, double value,
               const Labels& labels = {});
  void gauge(const std::string& name, const std::string& help, double value,
             const Labels& labels = {});
  void histogram(const std::string& name, const std::string& help, const Histogram& h,
                 const Labels& labels = {});
  [[nodiscard]] std::string text() const;

 private:
  void header(const std::string& name, const std::string& help, const char* type);
  std::map<std::string, std::string> families_;  // name -> lines, ordered for stable output
};

// Components register collectors; render() asks each in turn.
class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricWriter&)>;
  void add(Collector c);
  [[nodiscard]] std::string render() const;

 private:
  mutable std::mutex mu_;
  std::vector<Collector> collectors_;
};

}  // namespace storegate
