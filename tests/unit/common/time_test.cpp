#include "common/time.hpp"

#include <gtest/gtest.h>

namespace storegate {

TEST(Duration, ParsesUnitsAndBareMilliseconds) {
  EXPECT_EQ(parseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parseDuration("5s"), std::chrono::milliseconds(5000));
  EXPECT_EQ(parseDuration("2m"), std::chrono::milliseconds(120'000));
  EXPECT_EQ(parseDuration("1h"), std::chrono::milliseconds(3'600'000));
  EXPECT_EQ(parseDuration("1500"), std::chrono::milliseconds(1500));
}

TEST(Duration, RejectsWhatIsNotADuration) {
  EXPECT_FALSE(parseDuration("five seconds"));
  EXPECT_FALSE(parseDuration("-5s"));
  EXPECT_FALSE(parseDuration("5 parsecs"));
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("99999999999999999999h"));
}

TEST(Size, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(parseSize("512"), 512u);
  EXPECT_EQ(parseSize("10KB"), 10'000u);
  EXPECT_EQ(parseSize("64KiB"), 65'536u);
  EXPECT_EQ(parseSize("8MiB"), 8u * 1024 * 1024);
  EXPECT_EQ(parseSize("1GiB"), 1024ull * 1024 * 1024);
  EXPECT_FALSE(parseSize("8 megs"));
  EXPECT_FALSE(parseSize("99999999999999999GiB"));
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339(1'795'478'341'123'456'789), "2026-11-23T23:59:01.123Z");
}

}  // namespace storegate
