// The plugin instance state machine and the guarded calls into a plugin.
#include "plugin/instance.hpp"

#include <future>
#include <thread>

#include "common/log.hpp"
#include "plugin/crash_journal.hpp"

namespace storegate {

const char* toString(InstanceState s) {
  switch (s) {
    case InstanceState::Loaded:
      return "loaded";
    case InstanceState::Created:
      return "created";
    case InstanceState::Running:
      return "running";
    case InstanceState::Draining:
      return "draining";
    case InstanceState::Stopped:
      return "stopped";
    case InstanceState::Destroyed:
      return "destroyed";
    case InstanceState::Unloaded:
      return "unloaded";
    case InstanceState::Retired:
      return "retired";
    case InstanceState::Failed:
      return "failed";
  }
  return "unknown";
}

bool isAllowedTransition(InstanceState from, InstanceState to) {
  using S = InstanceState;
  switch (from) {
    case S::Loaded:
      return to == S::Created || to == S::Failed;
    case S::Created:
      return to == S::Running || to == S::Failed || to == S::Destroyed;
    case S::Running:
      return to == S::Draining;
    case S::Draining:
      return to == S::Stopped || to == S::Failed;
    case S::Stopped:
      return to == S::Destroyed;
    case S::Destroyed:
    case S::Failed:
      return to == S::Unloaded || to == S::Retired;
    case S::Unloaded:
    case S::Retired:
      return false;
  }
  return false;
}

namespace {
// Contexts of instances whose library was retired because a thread may still call in:
// kept alive for the life of the process so such a call finds a closed context.
void keepForever(std::shared_ptr<sg_host_ctx> ctx) {
  static auto* kept = new std::vector<std::shared_ptr<sg_host_ctx>>();
  static std::mutex mu;
  std::lock_guard lock(mu);
  kept->push_back(std::move(ctx));
}
}  // namespace

PluginInstance::PluginInstance(std::string name, std::shared_ptr<PluginLibrary> library,
                               ResolvedConfig config, HostServices services)
    : name_(std::move(name)),
      library_(std::move(library)),
      info_(library_->info()),
      library_path_(library_->path()),
      vtable_(library_->vtable()),
      config_(std::move(config)),
      ctx_(std::make_shared<sg_host_ctx>(name_, std::move(services))) {
  // From here on, a fatal signal in this library's code is blamed on this instance.
  crash::track(this, name_, reinterpret_cast<const void*>(vtable_.create));
}

PluginInstance::~PluginInstance() {
  const InstanceState s = state();
  if (s == InstanceState::Running)
    stop(std::chrono::seconds(5)).ignoreError("destroying: a failed stop is logged by stop");
  destroy();
  crash::untrack(this);
  if (library_) releaseLibrary();
}

InstanceState PluginInstance::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string PluginInstance::lastError() const {
  std::lock_guard lock(mu_);
  return last_error_.empty() ? ctx_->lastError() : last_error_;
}

void PluginInstance::transition(InstanceState to) {
  std::lock_guard lock(mu_);
  if (!isAllowedTransition(state_, to)) {
    // A broken invariant of the host itself, not something a plugin can cause.
    logError("plugin", "illegal state transition (bug)",
             {{"instance", name_}, {"from", toString(state_)}, {"to", toString(to)}});
    std::abort();
  }
  logDebug("plugin", "state change",
           {{"instance", name_}, {"from", toString(state_)}, {"to", toString(to)}});
  state_ = to;
}

template <typename Fn>
sg_status PluginInstance::guarded(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    ctx_->setError(std::string("threw from ") + what + ": " + e.what());
  } catch (...) {
    ctx_->setError(std::string("threw a non-standard exception from ") + what);
  }
  return SG_ERR_FAILED;
}

Status PluginInstance::fail(const char* what, sg_status status) {
  std::string reason = ctx_->lastError();
  if (reason.empty()) reason = "no reason given";
  std::string message = std::string(what) + " failed (" + statusName(status) + "): " + reason;
  {
    std::lock_guard lock(mu_);
    last_error_ = message;
  }
  logError("plugin", "plugin failed",
           {{"instance", name_}, {"plugin", info_.name}, {"stage", what}, {"error", message}});
  return Status::error(status == SG_OK ? SG_ERR_FAILED : status, message);
}

Status PluginInstance::create() {
  const std::string store = ctx_->services.store_id;
  const sg_create_args args{sizeof(sg_create_args), 0, sg_str{name_.data(), name_.size()},
                            sg_str{store.data(), store.size()}, config_.view()};
  sg_instance* out = nullptr;
  const sg_status s =
      guarded("create", [&] { return vtable_.create(hostTable(), ctx_.get(), &args, &out); });
  if (s != SG_OK || out == nullptr) {
    if (s == SG_OK) ctx_->setError("create returned OK but no instance");
    transition(InstanceState::Failed);
    return fail("create", s);
  }
  instance_ = out;
  transition(InstanceState::Created);
  return Status::success();
}

Status PluginInstance::start() {
  const sg_status s = guarded("start", [&] { return vtable_.start(instance_); });
  if (s != SG_OK) {
    Status st = fail("start", s);
    // The contract allows destroy after a failed start; the plugin must have cleaned up.
    guarded("destroy", [&] {
      vtable_.destroy(instance_);
      return SG_OK;
    });
    instance_ = nullptr;
    ctx_->close();
    transition(InstanceState::Failed);
    return st;
  }
  transition(InstanceState::Running);
  logInfo("plugin", "instance running",
          {{"instance", name_}, {"plugin", info_.name}, {"version", info_.version}});
  return Status::success();
}

Status PluginInstance::stop(std::chrono::milliseconds deadline) {
  transition(InstanceState::Draining);
  // stop runs on its own thread so that a plugin that never returns cannot hang the host.
  auto done = std::make_shared<std::promise<sg_status>>();
  std::future<sg_status> result = done->get_future();
  sg_instance* inst = instance_;
  const sg_plugin_vtable vt = vtable_;
  auto ctx = ctx_;
  std::thread([done, inst, vt, ctx, deadline] {
    sg_status s = SG_ERR_FAILED;
    try {
      s = vt.stop(inst, deadline.count());
    } catch (...) {
      ctx->setError("threw from stop");
    }
    done->set_value(s);
  }).detach();
  const auto grace = deadline + std::chrono::seconds(2);
  if (result.wait_for(grace) != std::future_status::ready) {
    ctx_->setError("stop did not return within " + std::to_string(grace.count()) + " ms");
    library_->markUnsafe("stop never returned: its threads may still run");
    // Its threads may go on calling the host: they must find a closed context (each call
    // refused and counted), never the Ingest and buffer that shut down after us.
    ctx_->close();
    keepForever(ctx_);
    instance_ = nullptr;  // leaked on purpose: destroying it could crash a running thread
    transition(InstanceState::Failed);
    return fail("stop", SG_ERR_TIMEOUT);
  }
  const sg_status s = result.get();
  ctx_->close();
  if (s != SG_OK) {
    Status st = fail("stop", s);
    transition(InstanceState::Stopped);
    return st;
  }
  transition(InstanceState::Stopped);
  logInfo("plugin", "instance stopped", {{"instance", name_}});
  return Status::success();
}

void PluginInstance::destroy() {
  const InstanceState s = state();
  if (s != InstanceState::Created && s != InstanceState::Stopped) return;
  std::unique_lock calls(calls_mu_);  // no query is still inside the plugin
  if (instance_ != nullptr) {
    guarded("destroy", [&] {
      vtable_.destroy(instance_);
      return SG_OK;
    });
    instance_ = nullptr;
  }
  ctx_->close();
  transition(InstanceState::Destroyed);
}

std::string PluginInstance::releaseLibrary() {
  if (!library_) return "released";
  const InstanceState s = state();
  if (s != InstanceState::Destroyed && s != InstanceState::Failed) return "in use";
  // A thread that outlived stop shows itself by calling the host; give it a moment.
  if (ctx_->calls_after_close.load() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  if (ctx_->calls_after_close.load() > 0) {
    library_->markUnsafe("instance '" + name_ +
                         "' called the host after stop: a thread is still running");
    keepForever(ctx_);
  }
  std::string outcome;
  if (library_.use_count() > 1) {
    outcome = "shared";
  } else {
    std::string reason;
    const UnloadOutcome u = library_->unload(reason);
    outcome = u == UnloadOutcome::Unloaded ? "unloaded" : "retired: " + reason;
    transition(u == UnloadOutcome::Unloaded ? InstanceState::Unloaded : InstanceState::Retired);
    logInfo("plugin", u == UnloadOutcome::Unloaded ? "library unloaded" : "library retired",
            {{"instance", name_}, {"library", library_path_.string()}, {"reason", reason}});
  }
  library_.reset();
  return outcome;
}

Status PluginInstance::reconfigure(const ResolvedConfig& config) {
  if (vtable_.reconfigure == nullptr)
    return Status::error(SG_ERR_UNSUPPORTED, "plugin has no reconfigure");
  if (state() != InstanceState::Running)
    return Status::error(SG_ERR_CLOSED, "instance is not running");
  const sg_status s =
      guarded("reconfigure", [&] { return vtable_.reconfigure(instance_, config.view()); });
  if (s != SG_OK) return Status::error(s, "reconfigure failed: " + ctx_->lastError());
  config_ = config;
  return Status::success();
}

sg_status PluginInstance::deliver(std::span<const sg_event> events, sg_delivery_result& result) {
  result = sg_delivery_result{sizeof(sg_delivery_result), 0, 0, 0};
  if (instance_ == nullptr || state() != InstanceState::Running) return SG_ERR_CLOSED;
  return guarded("deliver",
                 [&] { return vtable_.deliver(instance_, events.data(), events.size(), &result); });
}

sg_health_level PluginInstance::health() {
  if (vtable_.health == nullptr)
    return state() == InstanceState::Running ? SG_HEALTH_OK : SG_HEALTH_FAILING;
  // Like a query: a concurrent destroy waits for this call to leave the plugin.
  std::shared_lock calls(calls_mu_);
  if (state() != InstanceState::Running || instance_ == nullptr) return SG_HEALTH_FAILING;
  sg_health_level level = SG_HEALTH_FAILING;
  guarded("health", [&] {
    level = vtable_.health(instance_);
    return SG_OK;
  });
  return level;
}

Status PluginInstance::query(std::string_view name, std::string_view payload,
                             std::string& media_type, std::string& body) {
  if (vtable_.query == nullptr)
    return Status::error(SG_ERR_UNSUPPORTED, "plugin '" + info_.name + "' answers no queries");
  std::shared_lock calls(calls_mu_);
  if (state() != InstanceState::Running || instance_ == nullptr)
    return Status::error(SG_ERR_CLOSED, "instance '" + name_ + "' is not running");
  struct Answer {
    std::string* media_type;
    std::string* body;
    bool replied = false;
  } answer{&media_type, &body};
  const auto reply = [](void* user, sg_str type, sg_bytes bytes) {
    auto* a = static_cast<Answer*>(user);
    a->media_type->assign(type.ptr, type.len);
    a->body->assign(reinterpret_cast<const char*>(bytes.ptr), bytes.len);
    a->replied = true;
  };
  const sg_str n{name.data(), name.size()};
  const sg_bytes p{reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  sg_status s = SG_ERR_FAILED;
  try {
    s = vtable_.query(instance_, n, p, reply, &answer);
  } catch (...) {
    s = SG_ERR_FAILED;
  }
  if (s == SG_OK && answer.replied) return Status::success();
  if (s == SG_OK) return Status::error(SG_ERR_FAILED, "plugin returned without an answer");
  if (s == SG_ERR_UNSUPPORTED)
    return Status::error(s, "plugin '" + info_.name + "' has no query '" + std::string(name) + "'");
  // The plugin's own explanation (set_error) is the useful part.
  const std::string why = ctx_->lastError();
  return Status::error(s, why.empty() ? "query '" + std::string(name) + "' failed" : why);
}

}  // namespace storegate
