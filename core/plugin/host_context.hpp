// The host's side of one plugin instance: what the sg_host functions act on. Defined in
// the global namespace because plugin.h declares `struct sg_host_ctx` as opaque.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "buffer/event_buffer.hpp"
#include "buffer/ingest.hpp"
#include "common/log.hpp"

namespace storegate {

// Services shared by every instance; owned by the daemon and outliving the instances.
struct HostServices {
  Ingest* ingest = nullptr;
  StateStore* state = nullptr;
  std::string store_id;
};

// The sg_host table every plugin receives.
[[nodiscard]] const sg_host* hostTable();

}  // namespace storegate

struct sg_host_ctx {
  explicit sg_host_ctx(std::string name, storegate::HostServices s)
      : instance_name(std::move(name)), services(std::move(s)) {}

  const std::string instance_name;
  const storegate::HostServices services;

  // Open from create until stop returns; afterwards every host call fails with CLOSED
  // and is counted, because it can only come from a thread the plugin left running.
  std::atomic<bool> open{true};
  std::atomic<int> in_flight{0};
  std::atomic<uint64_t> calls_after_close{0};
  std::atomic<uint64_t> emitted{0};
  std::atomic<uint64_t> emit_errors{0};
  storegate::LogThrottle emit_warnings{std::chrono::seconds(10)};

  // Closes the context and waits (bounded) for host calls already inside to return.
  void close();

  void setError(std::string message);
  [[nodiscard]] std::string lastError() const;

  void metric(const std::string& name, sg_metric_kind kind, double value);
  [[nodiscard]] std::map<std::string, double> metrics() const;

 private:
  mutable std::mutex mu_;
  std::string last_error_;
  std::map<std::string, double> metrics_;
};
