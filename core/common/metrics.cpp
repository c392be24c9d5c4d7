// Histogram buckets and Prometheus text exposition.
#include "common/metrics.hpp"

#include <cmath>
#include <sstream>

namespace storegate {

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9), std::memory_order_relaxed);
}

double Histogram::sum() const {
  return static_cast<double>(sum_ns_.load()) / 1e9;
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k < buckets_.size(); ++k) total += buckets_[k].load();
  return total;
}

double Histogram::quantile(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  const auto want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n)));
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (cumulative(i) >= want) return kBounds[i];
  }
  return INFINITY;
}

namespace {
std::string labelText(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ",";
    out += k + "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out.push_back(c);
    }
    out += "\"";
  }
  if (!extra.empty()) out += (out.size() > 1 ? "," : "") + extra;
  return out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}
}  // namespace

void MetricWriter::header(const std::string& name, const std::string& help, const char* type) {
  auto& lines = families_[name];
  if (lines.empty()) lines = "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void MetricWriter::counter(const std::string& name, const std::string& help, double value,
                           const Labels& labels) {
  header(name, help, "counter");
  families_[name] += name + labelText(labels) + " " + number(value) + "\n";
}

void MetricWriter::gauge(const std::string& name, const std::string& help, double value,
                         const Labels& labels) {
  header(name, help, "gauge");
  families_[name] += name + labelText(labels) + " " + number(value) + "\n";
}

void MetricWriter::histogram(const std::string& name, const std::string& help, const Histogram& h,
                             const Labels& labels) {
  header(name, help, "histogram");
  std::string& out = families_[name];
  for (size_t i = 0; i <= Histogram::kBounds.size(); ++i) {
    const std::string le =
        i < Histogram::kBounds.size() ? number(Histogram::kBounds[i]) : std::string("+Inf");
    out += name + "_bucket" + labelText(labels, "le=\"" + le + "\"") + " " +
           std::to_string(h.cumulative(i)) + "\n";
  }
  out += name + "_sum" + labelText(labels) + " " + number(h.sum()) + "\n";
  out += name + "_count" + labelText(labels) + " " + std::to_string(h.count()) + "\n";
}

std::string MetricWriter::text() const {
  std::string out;
  for (const auto& [name, lines] : families_) out += lines;
  return out;
}

void MetricsRegistry::add(Collector c) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(c));
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  MetricWriter w;
  for (const auto& c : collectors_) c(w);
  return w.text();
}

}  // namespace storegate
