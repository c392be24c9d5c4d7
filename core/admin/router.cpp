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

const Router::Route* Router::find(const ApiRequest& req, bool authenticated,
                                  std::map<std::string, std::string>& params,
                                  ApiResponse& refused) const {
  const auto segs = splitPath(req.path);
  bool path_known = false;
  for (const Route& r : routes_) {
    params.clear();
    if (!match(r, segs, params)) continue;
    path_known = true;
    if (r.method != req.method) continue;
    if (r.min_role != Role::kNone) {
      if (!authenticated) {
        refused = ApiResponse::error(401, "unauthorized",
                                     "send Authorization: Bearer <token> (see storegatectl token)");
        return nullptr;
      }
      if (req.who.role < r.min_role) {
        refused = ApiResponse::error(403, "forbidden",
                                     std::string("this needs the ") + roleName(r.min_role) +
                                         " role; the token '" + req.who.name + "' is " +
                                         roleName(req.who.role));
        return nullptr;
      }
    }
    return &r;
  }
  refused = path_known ? ApiResponse::error(405, "method_not_allowed",
                                            req.method + " is not supported on " + req.path)
                       : ApiResponse::error(404, "not_found", "no such endpoint: " + req.path);
  return nullptr;
}

std::optional<ApiResponse> Router::refusal(const ApiRequest& req, bool authenticated) const {
  std::map<std::string, std::string> params;
  ApiResponse refused;
  if (find(req, authenticated, params, refused) == nullptr) return refused;
  return std::nullopt;
}

ApiResponse Router::dispatch(ApiRequest& req, bool authenticated) const {
  std::map<std::string, std::string> params;
  ApiResponse refused;
  const Route* r = find(req, authenticated, params, refused);
  if (r == nullptr) return refused;
  req.params = std::move(params);
  return r->handler(req);
}

}  // namespace storegate::admin
