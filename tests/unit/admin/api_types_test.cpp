#include "admin/api_types.hpp"

#include <gtest/gtest.h>

namespace storegate::admin {
namespace {

TEST(MaskMemberIds, ViewersSeeOnlyTheLastFourCharactersAtAnyDepth) {
  auto data = nlohmann::json::parse(R"({
    "member_code": "M-0012345678", "symbology": "qr",
    "basket": [{"member_id": 88}, {"member_id": "ABCDEFGH9999"}],
    "nested": {"deeper": {"member_code": "short"}}, "till": "2"})");
  maskMemberIds(data);
  EXPECT_EQ(data["member_code"], "****5678");
  EXPECT_EQ(data["basket"][0]["member_id"], "****");
  EXPECT_EQ(data["basket"][1]["member_id"], "****9999");
  EXPECT_EQ(data["nested"]["deeper"]["member_code"], "****");
  EXPECT_EQ(data["symbology"], "qr");
  EXPECT_EQ(data["till"], "2");
  EXPECT_EQ(data.dump().find("0012345678"), std::string::npos);
}

TEST(MaskMemberIds, AnyShapeIsLeftValid) {
  for (const char* text : {"null", "7", "\"member_code\"", "[]", "[[[{\"member_code\":[1,2]}]]]",
                           "{\"member_code\":{\"member_id\":\"x\"}}"}) {
    auto data = nlohmann::json::parse(text);
    maskMemberIds(data);
    EXPECT_FALSE(data.is_discarded()) << text;
    EXPECT_EQ(data.dump().find("member_id\":\"x"), std::string::npos) << text;
  }
  nlohmann::json discarded(nlohmann::json::value_t::discarded);
  maskMemberIds(discarded);
  EXPECT_TRUE(discarded.is_discarded());
}

}  // namespace
}  // namespace storegate::admin
