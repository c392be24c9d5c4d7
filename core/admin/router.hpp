// Routes an admin request to its handler by method and path pattern ("/v1/plugins/{name}"),
// after checking the caller's role. Unknown paths answer 404, known paths with another
// method 405, missing credentials 401, too small a role 403.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "admin/api_types.hpp"

namespace storegate::admin {

class Router {
 public:
  using Handler = std::function<ApiResponse(ApiRequest&)>;

  // `min_role` kNone: open to anyone (health only).
  void add(std::string method, std::string pattern, Role min_role, Handler handler);
  // `authenticated`: the request carried a valid token (its role is in req.who).
  [[nodiscard]] ApiResponse dispatch(ApiRequest& req, bool authenticated) const;
  // What dispatch would refuse with (404, 405, 401, 403) before running a handler; nullopt
  // when a handler would run. Checked before a request's body is read or allocated.
  [[nodiscard]] std::optional<ApiResponse> refusal(const ApiRequest& req, bool authenticated) const;
  // For the audit log: whether a method changes something.
  [[nodiscard]] static bool mutating(const std::string& method);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Role min_role;
    Handler handler;
  };
  static bool match(const Route& r, const std::vector<std::string>& segs,
                    std::map<std::string, std::string>& params);
  // The route `req` runs (its parameters in `params`), or null and the refusal in `refused`.
  const Route* find(const ApiRequest& req, bool authenticated,
                    std::map<std::string, std::string>& params, ApiResponse& refused) const;
  std::vector<Route> routes_;
};

// "/v1/plugins/cloud/" → {"v1", "plugins", "cloud"}; empty segments dropped.
[[nodiscard]] std::vector<std::string> splitPath(std::string_view path);

}  // namespace storegate::admin
