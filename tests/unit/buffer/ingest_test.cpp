#include "buffer/ingest.hpp"

#include <gtest/gtest.h>

#include <set>
#include <storegate/sdk.hpp>

#include "buffer/memory_buffer.hpp"

namespace storegate {

TEST(Ingest, FillsTheAttributesTheHostOwns) {
  MemoryBuffer b;
  Ingest ingest(b, "store-7");
  sdk::Event e;
  e.type = "store.pos.receipt";
  e.data = R"({"total":12.5})";
  const sg_event v = e.toView();
  ASSERT_TRUE(ingest.emit("till_3", {&v, 1}).ok());
  const auto stored = b.snapshot();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].storeid, "store-7");
  EXPECT_EQ(stored[0].source, "till_3");
  EXPECT_EQ(stored[0].datacontenttype, "application/json");
  EXPECT_FALSE(stored[0].id.empty());
  EXPECT_GT(stored[0].time_unix_ns, 0);
  EXPECT_EQ(ingest.accepted(), 1u);
}

TEST(Ingest, IdsAreUnique) {
  MemoryBuffer b;
  Ingest ingest(b, "s");
  sdk::Event e;
  e.type = "t";
  std::vector<sg_event> views(1000, e.toView());
  ASSERT_TRUE(ingest.emit("x", views).ok());
  std::set<std::string> ids;
  for (const auto& s : b.snapshot()) ids.insert(s.id);
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(Ingest, ABadEventRefusesTheWholeBatchAndSaysWhich) {
  MemoryBuffer b;
  Ingest ingest(b, "s");
  sdk::Event good;
  good.type = "t";
  good.data = "{}";
  sdk::Event bad = good;
  bad.data = "{not json";
  const sg_event views[] = {good.toView(), bad.toView(), good.toView()};
  const Status s = ingest.emit("x", views);
  EXPECT_EQ(s.code, SG_ERR_INVALID);
  EXPECT_EQ(s.message,
            "event 1 of 3: data is not valid JSON but datacontenttype is 'application/json'");
  EXPECT_TRUE(b.snapshot().empty());
  EXPECT_EQ(ingest.rejected(), 3u);
}

TEST(Ingest, ValidationNamesTheProblem) {
  IngestLimits limits;
  limits.max_data_bytes = 4;
  Event e;
  EXPECT_NE(validateEvent(e, limits).find("type is empty"), std::string::npos);
  e.type = "bad type!";
  EXPECT_NE(validateEvent(e, limits).find("may only hold"), std::string::npos);
  e.type = "ok.type";
  e.datacontenttype = "text/plain";
  e.data = "12345";
  EXPECT_NE(validateEvent(e, limits).find("more than the limit of 4"), std::string::npos);
  e.data = "1234";
  EXPECT_EQ(validateEvent(e, limits), "");
}

// A JSON type with parameters skipped the JSON check, and any other type skipped the depth
// bound, while /v1/events and the pseudonymizer try every data as JSON and copy it
// recursively.
TEST(Ingest, DeepDataIsRefusedWhateverItsContentTypeSays) {
  const IngestLimits limits;
  Event e;
  e.type = "ok.type";
  e.data = std::string(1000, '[') + std::string(1000, ']');
  for (const char* type :
       {"application/json; charset=utf-8", "Application/JSON", "application/cloudevents+json",
        "text/plain", "", "application/octet-stream"}) {
    e.datacontenttype = type;
    EXPECT_NE(validateEvent(e, limits).find("deeper than 64"), std::string::npos)
        << "'" << type << "': " << validateEvent(e, limits);
  }
  e.datacontenttype = "application/json; charset=utf-8";
  e.data = "{broken";
  EXPECT_NE(validateEvent(e, limits).find("not valid JSON"), std::string::npos);
  e.datacontenttype = "text/plain";
  EXPECT_EQ(validateEvent(e, limits), "") << "text that is not JSON is fine";
}

TEST(Ingest, OlderMinorEventStructsAreReadOnlyUpToTheirSize) {
  MemoryBuffer b;
  Ingest ingest(b, "s");
  sdk::Event e;
  e.type = "t";
  e.data = "{}";
  sg_event v = e.toView();
  v.struct_size = offsetof(sg_event, dedupkey);  // a producer that knows no dedupkey
  v.dedupkey = sg_str{"garbage", 7};
  ASSERT_TRUE(ingest.emit("x", {&v, 1}).ok());
  EXPECT_EQ(b.snapshot()[0].dedupkey, "");
  EXPECT_EQ(b.snapshot()[0].data, "");  // data lies past that size too
}

}  // namespace storegate
