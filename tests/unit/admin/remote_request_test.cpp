// Remote admin requests arrive from the cloud with no token needed to send them: every
// shape must be refused with a reason, never thrown out of the parser.
#include <gtest/gtest.h>

#include <string>

#include "admin/remote.hpp"

namespace storegate::admin {
namespace {

struct Parsed {
  std::optional<RemoteRequest> request;
  std::string id;
  std::string error;
};

Parsed parse(std::string_view data) {
  Parsed p;
  p.request = parseRemoteRequest(data, p.id, p.error);
  return p;
}

TEST(RemoteRequest, AWellFormedRequestIsRead) {
  const auto p = parse(
      R"({"name":"admin.request","id":"r-17","token_sha256":"ab","method":"POST",)"
      R"("path":"/v1/plugins/door/stop?x=1","body":{"a":1},"expires_at":"2030-01-01T00:00:00Z"})");
  ASSERT_TRUE(p.request) << p.error;
  EXPECT_EQ(p.request->id, "r-17");
  EXPECT_EQ(p.request->method, "POST");
  EXPECT_EQ(p.request->path, "/v1/plugins/door/stop");
  EXPECT_EQ(p.request->body, R"({"a":1})");
  EXPECT_TRUE(p.request->expires_at_ns.has_value());
}

TEST(RemoteRequest, ANumericIdIsRefusedNotThrown) {
  // The message that crash-looped a store: json::type_error on a thread with no catch.
  const auto p = parse(R"({"name":"admin.request","id":17,"method":"GET","path":"/v1/health"})");
  EXPECT_FALSE(p.request);
  EXPECT_NE(p.error.find("id must be a string"), std::string::npos) << p.error;
}

TEST(RemoteRequest, EveryWrongShapeIsRefusedWithTheFieldNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1,2,3])", "JSON object"},
      {R"("just a string")", "JSON object"},
      {R"(null)", "JSON object"},
      {R"({"id":"a","path":"/v1/health"})", "method is missing"},
      {R"({"id":"a","method":7,"path":"/v1/health"})", "method must be a string"},
      {R"({"id":"a","method":"BREW","path":"/v1/health"})", "method must be GET"},
      {R"({"id":"a","method":"GET"})", "path is missing"},
      {R"({"id":"a","method":"GET","path":{"x":1}})", "path must be a string"},
      {R"({"id":"a","method":"GET","path":"v1/health"})", "path must start with /"},
      {R"({"id":"a","method":"GET","path":"/v1/he alth"})", "printable"},
      {R"({"id":"a","method":"GET","path":"/v1/health","token_sha256":[]})",
       "token_sha256 must be a string"},
      {R"({"id":"a","method":"GET","path":"/v1/health","expires_at":5})",
       "expires_at must be a string"},
      {R"({"id":"a","method":"GET","path":"/v1/health","expires_at":"tomorrow"})", "RFC 3339"},
      {R"({"id":"has space","method":"GET","path":"/"})", "printable ASCII"},
      {R"({"id":")" + std::string(200, 'x') + R"(","method":"GET","path":"/"})", "longer than"},
      {R"({"id":"a","method":"GET","path":"/v1/health")", "not one JSON value"},  // truncated
      {"", "not one JSON value"},
  };
  for (const auto& [data, expected] : cases) {
    const auto p = parse(data);
    EXPECT_FALSE(p.request) << data;
    EXPECT_NE(p.error.find(expected), std::string::npos) << data << " → " << p.error;
  }
}

TEST(RemoteRequest, TheIdIsKeptForTheAnswerWhenALaterFieldIsWrong) {
  const auto p = parse(R"({"id":"r-9","method":"GET","path":42})");
  EXPECT_FALSE(p.request);
  EXPECT_EQ(p.id, "r-9");
}

TEST(RemoteRequest, DeepNestingIsRefusedBeforeADocumentIsBuilt) {
  std::string deep = R"({"id":"d","method":"POST","path":"/v1/plugins","body":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto p = parse(deep);
  EXPECT_FALSE(p.request);
  EXPECT_NE(p.error.find("deeper than"), std::string::npos) << p.error;
}

TEST(RemoteRequest, HugeAndInvalidUtf8RequestsAreRefused) {
  const std::string huge = R"({"id":"h","method":"GET","path":"/","body":")" +
                           std::string(kRemoteRequestMaxBytes, 'x') + "\"}";
  EXPECT_NE(parse(huge).error.find("larger than"), std::string::npos);
  const std::string bad_utf8 =
      "{\"id\":\"u\",\"method\":\"GET\",\"path\":\"/\",\"body\":\"\xff\xfe\"}";
  const auto p = parse(bad_utf8);
  EXPECT_FALSE(p.request);
  EXPECT_NE(p.error.find("UTF-8"), std::string::npos) << p.error;
}

TEST(RemoteRequest, ABodyOfAnyJsonTypeIsPassedOnAsText) {
  EXPECT_EQ(parse(R"({"method":"PUT","path":"/v1/config","body":"store_id: x"})").request->body,
            "store_id: x");
  EXPECT_EQ(parse(R"({"method":"PUT","path":"/v1/x","body":[1,true]})").request->body, "[1,true]");
  EXPECT_EQ(parse(R"({"method":"GET","path":"/v1/x","body":null})").request->body, "");
}

}  // namespace
}  // namespace storegate::admin
