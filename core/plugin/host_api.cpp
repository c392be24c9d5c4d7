// The sg_host functions: every call is counted in flight so that stop can wait for it,
// and refused once the instance is closed.
#include <chrono>
#include <string_view>
#include <thread>

#include "common/log.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "plugin/host_context.hpp"

void sg_host_ctx::close() {
  open.store(false, std::memory_order_seq_cst);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (in_flight.load(std::memory_order_seq_cst) > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void sg_host_ctx::setError(std::string message) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(message);
}

std::string sg_host_ctx::lastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void sg_host_ctx::metric(const std::string& name, sg_metric_kind kind, double value) {
  std::lock_guard lock(mu_);
  if (kind == SG_METRIC_COUNTER_ADD)
    metrics_[name] += value;
  else if (kind == SG_METRIC_GAUGE_SET)
    metrics_[name] = value;
}

std::map<std::string, double> sg_host_ctx::metrics() const {
  std::lock_guard lock(mu_);
  return metrics_;
}

namespace storegate {
namespace {

std::string_view sv(sg_str s) {
  return s.ptr == nullptr ? std::string_view() : std::string_view(s.ptr, s.len);
}

// Counts a host call in flight for its whole duration and refuses it once closed.
class CallGuard {
 public:
  explicit CallGuard(sg_host_ctx* ctx) : ctx_(ctx) {
    ctx_->in_flight.fetch_add(1, std::memory_order_seq_cst);
    if (!ctx_->open.load(std::memory_order_seq_cst)) {
      if (ctx_->calls_after_close.fetch_add(1) == 0) {
        logError("plugin", "plugin called the host after stop returned: it left a thread running",
                 {{"instance", ctx_->instance_name}});
      }
      admitted_ = false;
    }
  }
  ~CallGuard() { ctx_->in_flight.fetch_sub(1, std::memory_order_seq_cst); }
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;
  [[nodiscard]] bool admitted() const { return admitted_; }

 private:
  sg_host_ctx* ctx_;
  bool admitted_ = true;
};

LogLevel toLevel(sg_log_level l) {
  switch (l) {
    case SG_LOG_TRACE:
      return LogLevel::Trace;
    case SG_LOG_DEBUG:
      return LogLevel::Debug;
    case SG_LOG_WARN:
      return LogLevel::Warn;
    case SG_LOG_ERROR:
      return LogLevel::Error;
    default:
      return LogLevel::Info;
  }
}

// Bounds on what a plugin hands the host, checked before anything is copied: a length
// that is garbage (a plugin bug) must not become a huge allocation or a long read.
constexpr size_t kMaxStateKey = 1024;
constexpr size_t kMaxStateValue = 16u << 20;
constexpr size_t kMaxMetricName = 256;
constexpr size_t kMaxLogMessage = 16u << 10;  // longer messages are cut, not refused
constexpr size_t kMaxBatch = 100'000;

// A C++ exception must never unwind into a plugin's frames (undefined behaviour: most
// plugins are C or built without unwind tables): every entry point runs its body here,
// and anything thrown becomes SG_ERR_FAILED and one throttled log line.
void reportThrown(const sg_host_ctx* ctx, const char* call, const char* what) noexcept {
  static LogThrottle throttle(std::chrono::seconds(10));
  try {
    uint64_t suppressed = 0;
    if (throttle.allow(suppressed))
      logError("plugin", "a host call failed inside the host; the plugin was told SG_ERR_FAILED",
               {{"instance", ctx->instance_name},
                {"call", call},
                {"error", what},
                {"not_logged_since_last", std::to_string(suppressed)}});
  } catch (...) {
    // Logging itself failed (out of memory): the status still reaches the plugin.
  }
}

template <typename F>
sg_status contained(sg_host_ctx* ctx, const char* call, F&& body) noexcept {
  if (ctx == nullptr) return SG_ERR_INVALID;
  try {
    return body();
  } catch (const std::exception& e) {
    reportThrown(ctx, call, e.what());
  } catch (...) {
    reportThrown(ctx, call, "an exception of unknown type");
  }
  return SG_ERR_FAILED;
}

// A string or byte range is usable when its pointer is set or its length is zero.
bool usable(const void* ptr, size_t len, size_t max) {
  return (ptr != nullptr || len == 0) && len <= max;
}

void hostLog(sg_host_ctx* ctx, sg_log_level level, sg_str message) noexcept {
  ignoreResult(
      contained(ctx, "log",
                [&]() -> sg_status {
                  CallGuard guard(ctx);
                  if (!guard.admitted()) return SG_ERR_CLOSED;
                  std::string_view text = sv(message);
                  if (text.size() > kMaxLogMessage) text = text.substr(0, kMaxLogMessage);
                  logAt(toLevel(level), "plugin", text, {{"instance", ctx->instance_name}});
                  return SG_OK;
                }),
      "log returns nothing to the plugin");
}

void hostSetError(sg_host_ctx* ctx, sg_str message) noexcept {
  ignoreResult(contained(ctx, "set_error",
                         [&]() -> sg_status {
                           CallGuard guard(ctx);
                           if (!guard.admitted()) return SG_ERR_CLOSED;
                           std::string_view text = sv(message);
                           if (text.size() > kMaxLogMessage) text = text.substr(0, kMaxLogMessage);
                           ctx->setError(std::string(text));
                           return SG_OK;
                         }),
               "set_error returns nothing to the plugin");
}

sg_status emitSpan(sg_host_ctx* ctx, const sg_event* events, size_t count) {
  CallGuard guard(ctx);
  if (!guard.admitted()) return SG_ERR_CLOSED;
  if ((count > 0 && events == nullptr) || count > kMaxBatch) return SG_ERR_INVALID;
  const Status s = ctx->services.ingest->emit(ctx->instance_name, {events, count});
  if (!s.ok()) {
    ctx->emit_errors.fetch_add(1, std::memory_order_relaxed);
    // One line per instance per interval, with how many were not logged: a plugin that
    // emits into a full buffer thousands of times a second must not wear out the flash.
    uint64_t suppressed = 0;
    if (ctx->emit_warnings.allow(suppressed))
      logWarn("ingest", "emit refused",
              {{"instance", ctx->instance_name},
               {"status", statusName(s.code)},
               {"reason", s.message},
               {"not_logged_since_last", std::to_string(suppressed)}});
    return s.code;
  }
  ctx->emitted.fetch_add(count, std::memory_order_relaxed);
  return SG_OK;
}

sg_status hostEmit(sg_host_ctx* ctx, const sg_event* event) noexcept {
  return contained(ctx, "emit", [&]() -> sg_status {
    if (event == nullptr) return SG_ERR_INVALID;
    return emitSpan(ctx, event, 1);
  });
}

sg_status hostEmitBatch(sg_host_ctx* ctx, const sg_event* events, size_t count) noexcept {
  return contained(ctx, "emit_batch", [&]() -> sg_status {
    if (count > kMaxBatch) return SG_ERR_INVALID;
    // An array, read at our stride: each element must be exactly our sg_event (frozen for
    // all of ABI 1), checked before the next one is read.
    for (size_t i = 0; i < count && events != nullptr; ++i)
      if (events[i].struct_size != sizeof(sg_event)) return SG_ERR_INVALID;
    return emitSpan(ctx, events, count);
  });
}

sg_status hostStateGet(sg_host_ctx* ctx, sg_str key, sg_state_receiver receive,
                       void* user) noexcept {
  return contained(ctx, "state_get", [&]() -> sg_status {
    CallGuard guard(ctx);
    if (!guard.admitted()) return SG_ERR_CLOSED;
    if (receive == nullptr || !usable(key.ptr, key.len, kMaxStateKey)) return SG_ERR_INVALID;
    const auto value = ctx->services.state->get(ctx->instance_name, sv(key));
    if (!value) return SG_ERR_NOT_FOUND;
    receive(user, sg_bytes{reinterpret_cast<const uint8_t*>(value->data()), value->size()});
    return SG_OK;
  });
}

sg_status hostStatePut(sg_host_ctx* ctx, sg_str key, sg_bytes value) noexcept {
  return contained(ctx, "state_put", [&]() -> sg_status {
    CallGuard guard(ctx);
    if (!guard.admitted()) return SG_ERR_CLOSED;
    if (!usable(key.ptr, key.len, kMaxStateKey) || !usable(value.ptr, value.len, kMaxStateValue))
      return SG_ERR_INVALID;
    const std::string_view v =
        value.ptr == nullptr
            ? std::string_view()
            : std::string_view(reinterpret_cast<const char*>(value.ptr), value.len);
    return ctx->services.state->put(ctx->instance_name, sv(key), v).code;
  });
}

sg_status hostStateDelete(sg_host_ctx* ctx, sg_str key) noexcept {
  return contained(ctx, "state_delete", [&]() -> sg_status {
    CallGuard guard(ctx);
    if (!guard.admitted()) return SG_ERR_CLOSED;
    if (!usable(key.ptr, key.len, kMaxStateKey)) return SG_ERR_INVALID;
    return ctx->services.state->erase(ctx->instance_name, sv(key)).code;
  });
}

void hostMetric(sg_host_ctx* ctx, sg_str name, sg_metric_kind kind, double value) noexcept {
  ignoreResult(contained(ctx, "metric",
                         [&]() -> sg_status {
                           CallGuard guard(ctx);
                           if (!guard.admitted()) return SG_ERR_CLOSED;
                           if (name.len == 0 || !usable(name.ptr, name.len, kMaxMetricName))
                             return SG_ERR_INVALID;
                           ctx->metric(std::string(sv(name)), kind, value);
                           return SG_OK;
                         }),
               "metric returns nothing to the plugin");
}

int64_t hostNow(sg_host_ctx*) noexcept {
  return wallClockNs();
}

const sg_host kHostTable = {
    sizeof(sg_host),  SG_ABI_VERSION(SG_ABI_MAJOR, SG_ABI_MINOR),
    &hostLog,         &hostSetError,
    &hostEmit,        &hostEmitBatch,
    &hostStateGet,    &hostStatePut,
    &hostStateDelete, &hostMetric,
    &hostNow,
};

}  // namespace

const sg_host* hostTable() {
  return &kHostTable;
}

}  // namespace storegate
