#include "admin/api_types.hpp"

#include <algorithm>

#include "event/json_check.hpp"

namespace storegate::admin {

namespace {
constexpr int kMaxBodyDepth = 32;
}  // namespace

const char* roleName(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kNone:
      break;
  }
  return "none";
}

std::optional<Role> parseRole(std::string_view t) {
  if (t == "viewer") return Role::kViewer;
  if (t == "operator") return Role::kOperator;
  if (t == "admin") return Role::kAdmin;
  return std::nullopt;
}

ApiResponse ApiResponse::json(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  // Paths and bodies from clients may hold invalid UTF-8: replace it, never throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse ApiResponse::error(int status, const std::string& code, const std::string& message,
                               const nlohmann::json& details) {
  nlohmann::json e = details.is_object() ? details : nlohmann::json::object();
  e["code"] = code;
  e["message"] = message;
  return json(status, {{"error", e}});
}

void maskMemberIds(nlohmann::json& data) {
  // Event data nests at most 64 deep (checked at ingest): an explicit stack all the same.
  std::vector<nlohmann::json*> pending{&data};
  while (!pending.empty()) {
    nlohmann::json* j = pending.back();
    pending.pop_back();
    if (j->is_array()) {
      for (auto& v : *j) pending.push_back(&v);
      continue;
    }
    if (!j->is_object()) continue;
    for (auto it = j->begin(); it != j->end(); ++it) {
      if (it.key() == "member_code" || it.key() == "member_id") {
        const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
        *it = v.size() >= 8 ? "****" + v.substr(v.size() - 4) : std::string("****");
      } else {
        pending.push_back(&*it);
      }
    }
  }
}

ApiResponse ApiResponse::text(int status, std::string body, std::string content_type) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

std::optional<ApiResponse> parseBody(const ApiRequest& req, const std::vector<std::string>& allowed,
                                     const std::vector<std::string>& required,
                                     nlohmann::json& out) {
  // Depth is bounded before a document is built: nlohmann's copy and dump recurse, and a
  // body kept in the desired state must load again at the next start.
  if (!isValidJson(req.body, kMaxBodyDepth))
    return ApiResponse::error(400, "invalid_json",
                              "the request body is not valid JSON, or nests deeper than " +
                                  std::to_string(kMaxBodyDepth));
  out = nlohmann::json::parse(req.body, nullptr, false);
  if (out.is_discarded())
    return ApiResponse::error(400, "invalid_json", "the request body is not valid JSON");
  if (!out.is_object())
    return ApiResponse::error(400, "invalid_json", "the request body must be a JSON object");
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      return ApiResponse::error(422, "unknown_field", "unknown field '" + it.key() + "'",
                                {{"path", it.key()}});
  }
  for (const std::string& key : required) {
    if (!out.contains(key))
      return ApiResponse::error(422, "missing_field", "'" + key + "' is required", {{"path", key}});
  }
  return std::nullopt;
}

}  // namespace storegate::admin
