#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include "common/glob.hpp"

namespace storegate {

TEST(Histogram, CountsIntoCumulativeBucketsAndEstimatesQuantiles) {
  Histogram h;
  for (int i = 0; i < 90; ++i) h.observe(0.0002);
  for (int i = 0; i < 10; ++i) h.observe(0.02);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.cumulative(1), 90u);  // ≤ 0.00025
  EXPECT_EQ(h.cumulative(Histogram::kBounds.size()), 100u);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 0.00025);
  EXPECT_DOUBLE_EQ(h.quantile(0.99), 0.025);
  EXPECT_NEAR(h.sum(), 90 * 0.0002 + 10 * 0.02, 1e-6);
}

TEST(MetricWriter, WritesPrometheusTextWithOneHeaderPerFamily) {
  MetricsRegistry r;
  r.add([](MetricWriter& w) {
    w.counter("sg_events_total", "Events", 3, {{"sink", "cloud"}});
    w.counter("sg_events_total", "Events", 4, {{"sink", "file \"x\""}});
    w.gauge("sg_lag", "Lag", 1.5);
  });
  const std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP sg_events_total Events\n# TYPE sg_events_total counter\n"
            "sg_events_total{sink=\"cloud\"} 3\nsg_events_total{sink=\"file \\\"x\\\"\"} 4\n"
            "# HELP sg_lag Lag\n# TYPE sg_lag gauge\nsg_lag 1.5\n");
}

TEST(Glob, MatchesEventTypes) {
  EXPECT_TRUE(globMatch("store.pos.*", "store.pos.receipt"));
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("store.*.alert", "store.sensor.alert"));
  EXPECT_TRUE(globMatch("store.pos.receipt", "store.pos.receipt"));
  EXPECT_FALSE(globMatch("store.pos.*", "store.sensor.reading"));
  EXPECT_FALSE(globMatch("store.pos", "store.pos.receipt"));
  EXPECT_TRUE(globMatch("a*b*c", "axxbyyc"));
  EXPECT_FALSE(globMatch("a*b*c", "axxbyy"));
}

}  // namespace storegate
