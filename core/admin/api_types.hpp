// The admin API's requests and answers, independent of the HTTP server (so routing and
// every handler can be unit-tested and fuzzed without sockets).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace storegate::admin {

// Roles are ordered: each includes the ones before it.
enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };
[[nodiscard]] const char* roleName(Role r);
[[nodiscard]] std::optional<Role> parseRole(std::string_view text);

struct Principal {
  std::string name;  // the token's name, for the audit log
  Role role = Role::kNone;
};

struct ApiRequest {
  std::string method;
  std::string path;  // decoded path, no query
  std::map<std::string, std::string> query;
  std::string body;
  std::string client;  // peer address, for rate limits and the audit log
  Principal who;
  std::map<std::string, std::string> params;  // filled by the router: {name} → value
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static ApiResponse json(int status, const nlohmann::json& body);
  // {"error": {"code": <stable code>, "message": <for people>, ...details}}
  static ApiResponse error(int status, const std::string& code, const std::string& message,
                           const nlohmann::json& details = nlohmann::json::object());
  static ApiResponse text(int status, std::string body, std::string content_type);
};

// Event data as a viewer may see it: member identifiers (`member_code`, `member_id`, at any
// depth) keep only their last 4 characters ("****5678"), or none when shorter than 8.
// Operators and admins see them whole (they can read the buffer on the router anyway).
void maskMemberIds(nlohmann::json& data);

// Parses a JSON object body strictly: it must be an object, its keys among `allowed`,
// `required` present. Fills `out` or returns the 400/422 answer to send.
[[nodiscard]] std::optional<ApiResponse> parseBody(const ApiRequest& req,
                                                   const std::vector<std::string>& allowed,
                                                   const std::vector<std::string>& required,
                                                   nlohmann::json& out);

}  // namespace storegate::admin
