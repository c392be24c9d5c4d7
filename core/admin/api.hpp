// The admin API's endpoints over the running gateway (admin/gateway.hpp): what each answers, with
// which role. The table of routes is the contract; docs/openapi.json describes the same.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "admin/router.hpp"
#include "admin/status_view.hpp"
#include "common/mutex.hpp"
#include "common/status.hpp"

namespace storegate {
struct SwapReport;
}  // namespace storegate

namespace storegate::admin {

class Gateway;

class AdminApi {
 public:
  explicit AdminApi(Gateway& gateway);
  [[nodiscard]] const Router& router() const { return router_; }

 private:
  // Runs a change on the control plane's executor (one at a time, in order).
  template <typename Fn>
  ApiResponse exclusive(Fn&& fn);
  // Keeps a swap (the build and the one it replaced) in the desired state.
  Status recordSwap(const std::string& name, const std::filesystem::path& library,
                    const SwapReport& s);

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
  ApiResponse getConfig(const ApiRequest& req);
  ApiResponse applyConfig(const ApiRequest& req);
  ApiResponse storeToday();
  // The verdict for a caller without a token: computed at most once a second (and after
  // each change), so probes, or a flood of unauthenticated requests, never call the
  // plugins' health() more often.
  HealthVerdict openHealth();

  Gateway& gw_;
  Router router_;
  Mutex health_mu_;
  std::chrono::steady_clock::time_point health_at_ SG_GUARDED_BY(health_mu_){};
  uint64_t health_changes_ SG_GUARDED_BY(health_mu_) = 0;
  HealthVerdict health_ SG_GUARDED_BY(health_mu_);
};

}  // namespace storegate::admin
