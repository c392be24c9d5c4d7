// What the cloud uplinks share: pseudonyms, expiry, topic templates and the roster model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "outbound.hpp"
#include "pseudonymizer.hpp"
#include "roster.hpp"
#include "topic_template.hpp"

namespace storegate::plugins::platform {
namespace {

using nlohmann::json;

TEST(Pseudonymizer, ReplacesListedFieldsAtAnyDepthAndNothingElse) {
  const Pseudonymizer p("brand-key-0123456789", {"member_code", "member_id"});
  const json out = json::parse(p.apply(
      R"({"member_code":"M-1","total":3,"items":[{"member_id":77,"sku":"A"}],"note":"M-1"})"));
  EXPECT_EQ(out["member_code"], p.pseudonym("M-1"));
  EXPECT_EQ(out["items"][0]["member_id"], p.pseudonym("77")) << "numbers too";
  EXPECT_EQ(out["items"][0]["sku"], "A");
  EXPECT_EQ(out["note"], "M-1") << "only the listed names";
  EXPECT_EQ(out["total"], 3);
  EXPECT_EQ(p.pseudonym("M-1").size(), 32u);
  EXPECT_NE(p.pseudonym("M-1"), p.pseudonym("M-2"));
  EXPECT_NE(Pseudonymizer("another-key-0123456789", {}).pseudonym("M-1"), p.pseudonym("M-1"));
}

TEST(Pseudonymizer, LeavesTextThatIsNotJsonOrNamesNoFieldAlone) {
  const Pseudonymizer p("brand-key-0123456789", {"member_code"});
  EXPECT_EQ(p.apply(R"({"total":3})"), R"({"total":3})");
  EXPECT_EQ(p.apply(R"("member_code" but not json)"), R"("member_code" but not json)");
  const Pseudonymizer off("", {"member_code"});
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.apply(R"({"member_code":"M-1"})"), R"({"member_code":"M-1"})");
}

TEST(Rfc3339, ParsesZuluFractionsAndOffsets) {
  const auto z = parseRfc3339("2026-11-24T10:15:00Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(*z, 1'795'515'300'000'000'000);
  EXPECT_EQ(*parseRfc3339("2026-11-24T18:15:00+08:00"), *z);
  EXPECT_EQ(*parseRfc3339("2026-11-24T10:15:00.250Z"), *z + 250'000'000);
  for (const char* bad : {"2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24T10:15:00",
                          "2026-11-24T10:15:00+0800", "yesterday"})
    EXPECT_FALSE(parseRfc3339(bad)) << bad;
}

TEST(Outbound, HoldsBackOwnEventsAndExpiredCodes) {
  sg_event e{};
  e.source = sdk::str("scanner");
  const std::string past = R"({"member_code":"D","expires_at":"2020-01-01T00:00:00Z"})";
  const std::string future = R"({"member_code":"D","expires_at":"2099-01-01T00:00:00Z"})";
  const int64_t now = 1'795'515'300'000'000'000;
  e.data = sdk::bytes(past);
  EXPECT_EQ(classify(e, "cloud", now), Verdict::kExpired);
  e.data = sdk::bytes(future);
  EXPECT_EQ(classify(e, "cloud", now), Verdict::kSend);
  EXPECT_EQ(classify(e, "scanner", now), Verdict::kOwn);
}

TEST(TopicTemplate, RendersAndSanitizesValues) {
  const TopicTemplate t("stores/{storeid}/{type}/{subject}", "s/1", "cloud");
  sg_event e{};
  e.type = sdk::str("store.sensor.reading");
  e.subject = sdk::str("shelf+3#");
  EXPECT_EQ(t.render(e), "stores/s_1/store.sensor.reading/shelf_3_");
  EXPECT_TRUE(t.perEvent());
  EXPECT_EQ(TopicTemplate("x/{instance}", "s", "cloud").renderFixed(), "x/cloud");
}

TEST(TopicTemplate, RefusesUnknownPlaceholdersAndWildcards) {
  EXPECT_THROW(TopicTemplate("a/{store}", "s", "i"), sdk::Error);
  EXPECT_THROW(TopicTemplate("a/{type", "s", "i"), sdk::Error);
  EXPECT_THROW(TopicTemplate("a/#", "s", "i"), sdk::Error);
}

TEST(Roster, ALargeReplaceIsChunkedIntoOneReplaceAndUpserts) {
  RosterUpdate u;
  u.version = "v3";
  for (int i = 0; i < 2500; ++i)
    u.members.push_back({"M-" + std::to_string(i), "u-" + std::to_string(i), "", {}});
  const auto events = rosterEvents(u, 1000);
  ASSERT_EQ(events.size(), 3u);
  Roster r;
  r.apply({RosterUpdate::Op::kUpsert, "", {{"OLD", "u-old", "", {}}}});
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].type, "store.roster.update");
    EXPECT_EQ(events[i].dedupkey, "roster/v3/" + std::to_string(i));
    const RosterUpdate part = parseRosterUpdate(events[i].data);
    EXPECT_EQ(part.op, i == 0 ? RosterUpdate::Op::kReplace : RosterUpdate::Op::kUpsert);
    r.apply(part);
  }
  EXPECT_EQ(r.size(), 2500u) << "the replace dropped the old member";
  EXPECT_EQ(r.find("OLD"), nullptr);
  EXPECT_EQ(r.find("M-2499")->member_id, "u-2499");
  EXPECT_EQ(r.version(), "v3");

  const Roster back = Roster::fromState(r.toState());
  EXPECT_EQ(back.size(), 2500u);
  EXPECT_EQ(back.version(), "v3");
}

TEST(Roster, RemoveNeedsOnlyCodesAndBadDocumentsNameTheirProblem) {
  Roster r;
  r.apply(parseRosterUpdate(R"({"members":[{"member_code":"A","member_id":"a","tags":["x"]}]})"));
  r.apply(parseRosterUpdate(R"({"op":"remove","members":[{"member_code":"A"}]})"));
  EXPECT_EQ(r.size(), 0u);
  const auto error = [](const char* doc) {
    try {
      (void)parseRosterUpdate(doc);
    } catch (const sdk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(R"({"members":[{"member_code":"A"}]})").find("members[0].member_id"),
            std::string::npos);
  EXPECT_NE(error(R"({"op":"merge","members":[]})").find("'merge' is not one of"),
            std::string::npos);
  EXPECT_NE(error(R"({"members":[{"member_code":"A","member_id":"a","tags":[1]}]})")
                .find("members[0].tags[0]"),
            std::string::npos);
  EXPECT_NE(error("[1,2]").find("not a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace storegate::plugins::platform
