#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>

#include "event/event.hpp"

namespace storegate {

TEST(CloudEventJson, RendersEveryAttributeAndEmbedsJsonData) {
  Event e;
  e.id = "a\"b";
  e.source = "till_3";
  e.type = "store.pos.receipt";
  e.subject = "till-3";
  e.datacontenttype = "application/json";
  e.storeid = "store-7";
  e.dedupkey = "till-3/000123";
  e.time_unix_ns = 1'795'478'341'123'000'000;
  e.sequence = 42;
  e.data = R"({"total":12.5,"note":"line\nbreak"})";
  const auto j = nlohmann::json::parse(sdk::toCloudEventJson(e.view()));
  EXPECT_EQ(j["specversion"], "1.0");
  EXPECT_EQ(j["id"], "a\"b");
  EXPECT_EQ(j["time"], "2026-11-23T23:59:01.123Z");
  EXPECT_EQ(j["sequence"], 42);
  EXPECT_EQ(j["dedupkey"], "till-3/000123");
  EXPECT_EQ(j["data"]["total"], 12.5);
  EXPECT_EQ(j["data"]["note"], "line\nbreak");
}

TEST(CloudEventJson, NonJsonDataGoesAsBase64) {
  Event e;
  e.type = "t";
  e.datacontenttype = "application/octet-stream";
  e.data = std::string("\x00\x01\xfe\xff", 4);
  const auto j = nlohmann::json::parse(sdk::toCloudEventJson(e.view()));
  EXPECT_FALSE(j.contains("data"));
  EXPECT_EQ(j["data_base64"], "AAH+/w==");
  EXPECT_FALSE(j.contains("subject"));
}

TEST(CloudEventJson, ControlCharactersAreEscaped) {
  Event e;
  e.type = "t";
  e.subject = std::string("a\x01z", 3);
  const std::string text = sdk::toCloudEventJson(e.view());
  EXPECT_NE(text.find("a\\u0001z"), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(text)["subject"], std::string("a\x01z", 3));
}

}  // namespace storegate
