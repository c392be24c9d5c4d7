#include "event/codec.hpp"

#include <gtest/gtest.h>

#include <random>

namespace storegate {
namespace {

Event sample() {
  Event e;
  e.id = "0f3a-17";
  e.source = "front_door";
  e.type = "store.footfall.crossing";
  e.subject = "line-1";
  e.datacontenttype = "application/json";
  e.storeid = "store-0042";
  e.dedupkey = "till-3/000123";
  e.time_unix_ns = 1'795'478'341'123'456'789;
  e.data = R"({"direction":"in","track":17})";
  return e;
}

}  // namespace

TEST(Codec, RoundTripsEveryAttribute) {
  const Event e = sample();
  const auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
}

TEST(Codec, RoundTripsEmptyFieldsBinaryDataAndNegativeTime) {
  Event e;
  e.type = "x";
  e.time_unix_ns = -5;
  e.data = std::string("\0\xff\x01", 3);
  const auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
}

TEST(Codec, RoundTripsLargeData) {
  Event e = sample();
  e.data.assign(3 << 20, 'z');
  const auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data.size(), e.data.size());
}

TEST(Codec, SequenceIsNotPartOfTheEnvelope) {
  Event e = sample();
  e.sequence = 99;
  const auto back = decodeEvent(encodeEvent(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sequence, 0u);
}

TEST(Codec, EveryTruncationIsAnErrorNeverACrash) {
  const std::string bytes = encodeEvent(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    EXPECT_FALSE(decodeEvent(std::string_view(bytes).substr(0, n), &error)) << "length " << n;
    EXPECT_FALSE(error.empty());
  }
}

TEST(Codec, NamesWhatIsWrong) {
  std::string bytes = encodeEvent(sample());
  std::string error;
  std::string bad_magic = bytes;
  bad_magic[0] = 'x';
  EXPECT_FALSE(decodeEvent(bad_magic, &error));
  EXPECT_NE(error.find("magic"), std::string::npos);

  std::string bad_version = bytes;
  bad_version[1] = 7;
  EXPECT_FALSE(decodeEvent(bad_version, &error));
  EXPECT_EQ(error, "unknown envelope version 7");

  EXPECT_FALSE(decodeEvent(bytes + "!", &error));
  EXPECT_NE(error.find("trailing"), std::string::npos);

  EXPECT_FALSE(decodeEvent(bytes.substr(0, 12), &error));
  EXPECT_NE(error.find("truncated in field"), std::string::npos);
}

TEST(Codec, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 rng(1234);
  const std::string good = encodeEvent(sample());
  for (int i = 0; i < 20'000; ++i) {
    std::string b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<char>(rng());
    (void)decodeEvent(b);  // must terminate without reading out of bounds (ASan/valgrind)
  }
  SUCCEED();
}

}  // namespace storegate
