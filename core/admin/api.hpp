// The admin API's endpoints over a running Daemon: what each answers, with which role.
// The table of routes is the contract; docs/openapi.json describes the same.
#pragma once

#include <memory>
#include <mutex>

#include "admin/router.hpp"

namespace storegate {
class Daemon;
}

namespace storegate::admin {

class AdminApi {
 public:
  explicit AdminApi(Daemon& daemon);
  [[nodiscard]] const Router& router() const { return router_; }

 private:
  // Changes run one at a time; a second one meanwhile is answered 409.
  template <typename Fn>
  ApiResponse exclusive(Fn&& fn);

  ApiResponse status();
  ApiResponse plugins();
  ApiResponse plugin(const ApiRequest& req);
  ApiResponse addPlugin(const ApiRequest& req);
  ApiResponse removePlugin(const ApiRequest& req);
  ApiResponse startStop(const ApiRequest& req, bool start);
  ApiResponse snapshot(const ApiRequest& req);
  ApiResponse configure(const ApiRequest& req);
  ApiResponse swap(const ApiRequest& req);
  ApiResponse upload(const ApiRequest& req);
  ApiResponse rollback(const ApiRequest& req);
  ApiResponse buffer();
  ApiResponse deadLetters(const ApiRequest& req);
  ApiResponse resolveDeadLetter(const ApiRequest& req, bool retry);
  ApiResponse replay(const ApiRequest& req);
  ApiResponse events(const ApiRequest& req);
  ApiResponse logs(const ApiRequest& req);
  ApiResponse validateConfig(const ApiRequest& req);
  ApiResponse getConfig();
  ApiResponse applyConfig(const ApiRequest& req);
  ApiResponse storeToday();

  Daemon& daemon_;
  Router router_;
  std::mutex change_mu_;
};

}  // namespace storegate::admin
