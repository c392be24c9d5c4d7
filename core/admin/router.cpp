#include "admin/router.hpp"

namespace storegate::admin {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!seg.empty()) out.emplace_back(seg);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Role min_role, Handler handler) {
  routes_.push_back({std::move(method), splitPath(pattern), min_role, std::move(handler)});
}

bool Router::match(const Route& r, const std::vector<std::string>& segs,
                   std::map<std::string, std::string>& params) {
  if (r.segments.size() != segs.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found[p.substr(1, p.size() - 2)] = segs[i];
    } else if (p != segs[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

bool Router::mutating(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

ApiResponse Router::dispatch(ApiRequest& req, bool authenticated) const {
  const auto segs = splitPath(req.path);
  bool path_known = false;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r, segs, params)) continue;
    path_known = true;
    if (r.method != req.method) continue;
    if (r.min_role != Role::kNone) {
      if (!authenticated)
        return ApiResponse::error(401, "unauthorized",
                                  "send Authorization: Bearer <token> (see storegatectl token)");
      if (req.who.role < r.min_role)
        return ApiResponse::error(403, "forbidden",
                                  std::string("this needs the ") + roleName(r.min_role) +
                                      " role; the token '" + req.who.name + "' is " +
                                      roleName(req.who.role));
    }
    req.params = std::move(params);
    return r.handler(req);
  }
  if (path_known)
    return ApiResponse::error(405, "method_not_allowed",
                              req.method + " is not supported on " + req.path);
  return ApiResponse::error(404, "not_found", "no such endpoint: " + req.path);
}

}  // namespace storegate::admin
