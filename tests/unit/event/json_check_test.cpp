#include "event/json_check.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace storegate {

TEST(JsonCheck, AcceptsWellFormedValues) {
  for (const char* ok :
       {"{}", "[]", "0", "-0.5e+3", "\"x\"", "true", "null", " {\"a\": [1, 2.5, \"s\\n\\u00e9\"]} ",
        "{\"nested\":{\"deep\":[{\"x\":false}]}}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""}) {
    EXPECT_TRUE(isValidJson(ok)) << ok;
  }
}

TEST(JsonCheck, RefusesMalformedValues) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "01", "1.", "-", "\"unterminated", "{a:1}",
                          "tru", "\"bad \\x escape\"", "\"tab\tinside\"", "[1] 2", "\"\xc3\"",
                          "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "{\"a\":1,}", "NaN"}) {
    EXPECT_FALSE(isValidJson(bad)) << bad;
  }
}

TEST(JsonCheck, BoundsNesting) {
  EXPECT_TRUE(isValidJson(std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(isValidJson(std::string(65, '[') + std::string(65, ']')));
  EXPECT_FALSE(isValidJson(std::string(100000, '[')));  // no stack overflow
}

TEST(JsonCheck, AgreesWithAFullParserOnMutatedInput) {
  std::mt19937 rng(42);
  const std::string base =
      R"({"sensor":"shelf-7","values":[1,2.5e3,-0.25],"ok":true,"note":"caf\u00e9 \"x\"","n":null})";
  const std::string alphabet = "{}[]\",:0123456789.-+eEtrufalsn \\u\x01";
  for (int i = 0; i < 20000; ++i) {
    std::string s = base;
    for (int k = 0; k < 1 + int(rng() % 3); ++k)
      s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
    EXPECT_EQ(isValidJson(s), nlohmann::json::accept(s)) << s;
  }
}

}  // namespace storegate
