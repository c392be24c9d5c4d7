// What the admin layer (REST API, remote requests, status, health) may reach of the running
// gateway: the control plane, through which every change goes, and read models. The daemon
// implements it; the admin layer never sees the Daemon (no daemon <-> admin include cycle),
// and it cannot mutate the plugin manager except through ControlPlane::execute().
//
// Threading: every method may be called from any thread. References returned live as long
// as the Gateway (the daemon, which stops the admin layer before it destroys anything).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/store_summary.hpp"
#include "buffer/event_buffer.hpp"
#include "common/metrics.hpp"
#include "common/status.hpp"
#include "config/gateway_config.hpp"
#include "plugin/manager.hpp"

namespace storegate {

class RocksBuffer;

namespace control {
class ControlPlane;
}  // namespace control
namespace package {
class TrustPolicy;
}  // namespace package

namespace admin {

class Gateway {
 public:
  virtual ~Gateway() = default;

  // Every change: control().execute(...), and inside it control().manager().
  [[nodiscard]] virtual control::ControlPlane& control() = 0;

  // --- Read models ----------------------------------------------------------------------
  [[nodiscard]] virtual std::vector<InstanceReport> instances() = 0;
  [[nodiscard]] virtual std::optional<InstanceReport> instance(const std::string& name) = 0;
  [[nodiscard]] virtual std::optional<InstanceSpec> instanceSpec(const std::string& name) const = 0;
  // Checks a spec against its plugin's properties (opens libraries only through the
  // signature policy); changes nothing.
  [[nodiscard]] virtual ConfigErrors validateInstance(const InstanceSpec& spec) = 0;
  // Checks every enabled instance of a whole config as a start would (libraries opened only
  // through the running signature policy); appends to `errors`, true when none was added.
  [[nodiscard]] virtual bool checkPlugins(const GatewayConfig& config, ConfigErrors& errors) = 0;
  // A plugin's read-only query (the camera's snapshot): SG_ERR_NOT_FOUND / UNSUPPORTED.
  virtual Status queryInstance(const std::string& name, std::string_view query,
                               std::string_view payload, std::string& media_type,
                               std::string& body) = 0;
  [[nodiscard]] virtual EventBuffer& buffer() = 0;
  [[nodiscard]] virtual RocksBuffer* rocks() = 0;  // null with a memory buffer
  // The config the daemon started with (settings that need a restart come from here) and
  // the running one (file + kept changes).
  [[nodiscard]] virtual const GatewayConfig& config() const = 0;
  [[nodiscard]] virtual GatewayConfig configSnapshot() const = 0;
  [[nodiscard]] virtual std::shared_ptr<package::TrustPolicy> trust() const = 0;
  [[nodiscard]] virtual StoreSummary& summary() = 0;
  [[nodiscard]] virtual const std::vector<std::filesystem::path>& pluginDirs() const = 0;
  [[nodiscard]] virtual int64_t startedUnixNs() const = 0;
  [[nodiscard]] virtual const MetricsRegistry& metrics() const = 0;
};

}  // namespace admin
}  // namespace storegate
