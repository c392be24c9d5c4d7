#include "admin/api.hpp"

#include <fstream>
#include <sstream>

#include "admin/console.hpp"
#include "admin/gateway.hpp"
#include "admin/openapi.hpp"
#include "admin/status_view.hpp"
#include "admin/tokens.hpp"
#include "buffer/rocksdb_buffer.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/version.hpp"
#include "config/secret_mask.hpp"
#include "control/control_plane.hpp"
#include "package/signing.hpp"

namespace storegate::admin {

namespace {
using nlohmann::json;

json reportJson(const InstanceReport& r) {
  return {{"name", r.name},
          {"plugin", r.plugin},
          {"version", r.version},
          {"library", r.library},
          {"state", r.state},
          {"kinds", r.kinds},
          {"health", r.health},
          {"last_error", r.last_error},
          {"emitted", r.emitted},
          {"delivered", r.delivered},
          {"dead_lettered", r.dead_lettered},
          {"config", r.config},
          {"metrics", r.metrics}};
}

ApiResponse statusError(const Status& s, const std::string& what) {
  if (s.code == SG_ERR_NOT_FOUND) return ApiResponse::error(404, "not_found", s.message);
  if (s.code == SG_ERR_INVALID) return ApiResponse::error(409, "conflict", s.message);
  return ApiResponse::error(500, "failed", what + ": " + s.message);
}

ApiResponse configErrors(const ConfigErrors& errors) {
  json list = json::array();
  for (const auto& e : errors) list.push_back({{"path", e.path}, {"message", e.message}});
  return ApiResponse::error(422, "invalid_config",
                            errors.empty() ? "invalid" : errors.front().text(), {{"errors", list}});
}

size_t queryNumber(const ApiRequest& req, const char* key, size_t fallback, size_t max) {
  const auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  size_t n = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9' || n > max) return fallback;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return std::min(n, max);
}
}  // namespace

AdminApi::AdminApi(Gateway& gateway) : gw_(gateway) {
  auto& r = router_;
  // Open, for probes: 200 while the daemon serves, with `degraded` and the reasons when an
  // instance failed or a sink stopped delivering; ?strict=true answers 503 then instead
  // (a load balancer's check). The daemon itself is alive either way.
  r.add("GET", "/v1/health", Role::kNone, [this](ApiRequest& q) {
    const HealthVerdict v = q.who.role >= Role::kViewer
                                ? healthVerdict(gw_, gw_.config().admin.health_max_undelivered)
                                : openHealth();
    const bool strict = q.query.count("strict") != 0 && q.query.at("strict") == "true";
    if (!v.degraded) return ApiResponse::json(200, {{"status", "ok"}});
    // The reasons (instance names, their errors) only for a token holder.
    nlohmann::json body{{"status", "degraded"}};
    if (q.who.role >= Role::kViewer) body["reasons"] = v.reasons;
    return ApiResponse::json(strict ? 503 : 200, body);
  });
  r.add("GET", "/v1/openapi.json", Role::kViewer, [](ApiRequest&) {
    return ApiResponse::text(200, std::string(openApiDocument()), "application/json");
  });
  r.add("GET", "/v1/status", Role::kViewer, [this](ApiRequest&) { return status(); });
  // Who the token is: the console shows only what the role may do.
  r.add("GET", "/v1/session", Role::kViewer, [](ApiRequest& q) {
    return ApiResponse::json(200, {{"name", q.who.name}, {"role", roleName(q.who.role)}});
  });
  r.add("GET", "/v1/store/today", Role::kViewer, [this](ApiRequest&) { return storeToday(); });
  // The console: static files compiled in; it logs in with a token like any client.
  for (const ConsoleAsset& a : consoleAssets()) {
    r.add("GET", std::string(a.path), Role::kNone, [&a](ApiRequest&) {
      ApiResponse res = ApiResponse::text(200, std::string(a.body), std::string(a.content_type));
      res.headers.emplace_back("Content-Security-Policy",
                               "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'");
      res.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return res;
    });
  }
  r.add("GET", "/v1/plugins", Role::kViewer, [this](ApiRequest&) { return plugins(); });
  r.add("POST", "/v1/plugins", Role::kAdmin, [this](ApiRequest& q) { return addPlugin(q); });
  r.add("GET", "/v1/plugins/{name}", Role::kViewer, [this](ApiRequest& q) { return plugin(q); });
  r.add("DELETE", "/v1/plugins/{name}", Role::kAdmin,
        [this](ApiRequest& q) { return removePlugin(q); });
  r.add("POST", "/v1/plugins/{name}/start", Role::kOperator,
        [this](ApiRequest& q) { return startStop(q, true); });
  r.add("POST", "/v1/plugins/{name}/stop", Role::kOperator,
        [this](ApiRequest& q) { return startStop(q, false); });
  r.add("PUT", "/v1/plugins/{name}/config", Role::kOperator,
        [this](ApiRequest& q) { return configure(q); });
  r.add("POST", "/v1/plugins/{name}/swap", Role::kAdmin, [this](ApiRequest& q) { return swap(q); });
  r.add("POST", "/v1/plugins/{name}/upload", Role::kAdmin,
        [this](ApiRequest& q) { return upload(q); });
  r.add("POST", "/v1/plugins/{name}/rollback", Role::kAdmin,
        [this](ApiRequest& q) { return rollback(q); });
  // Images of the shop floor leave only this way: admins only, and audited.
  r.add("GET", "/v1/plugins/{name}/snapshot", Role::kAdmin,
        [this](ApiRequest& q) { return snapshot(q); });
  r.add("GET", "/v1/buffer", Role::kViewer, [this](ApiRequest&) { return buffer(); });
  r.add("GET", "/v1/buffer/dead-letters", Role::kViewer,
        [this](ApiRequest& q) { return deadLetters(q); });
  r.add("POST", "/v1/buffer/dead-letters/{sink}/{sequence}/retry", Role::kOperator,
        [this](ApiRequest& q) { return resolveDeadLetter(q, true); });
  r.add("DELETE", "/v1/buffer/dead-letters/{sink}/{sequence}", Role::kOperator,
        [this](ApiRequest& q) { return resolveDeadLetter(q, false); });
  r.add("POST", "/v1/buffer/sinks/{sink}/replay", Role::kOperator,
        [this](ApiRequest& q) { return replay(q); });
  r.add("GET", "/v1/events", Role::kViewer, [this](ApiRequest& q) { return events(q); });
  r.add("GET", "/v1/logs", Role::kViewer, [this](ApiRequest& q) { return logs(q); });
  r.add("GET", "/v1/config", Role::kAdmin, [this](ApiRequest& q) { return getConfig(q); });
  r.add("PUT", "/v1/config", Role::kAdmin, [this](ApiRequest& q) { return applyConfig(q); });
  r.add("POST", "/v1/config/validate", Role::kOperator,
        [this](ApiRequest& q) { return validateConfig(q); });
  r.add("GET", "/metrics", Role::kViewer, [this](ApiRequest&) {
    return ApiResponse::text(200, gw_.metrics().render(), "text/plain; version=0.0.4");
  });
}

HealthVerdict AdminApi::openHealth() {
  // Held while computing: concurrent callers wait for one computation instead of each
  // calling every plugin.
  MutexLock lock(health_mu_);
  // A change (a plugin removed, started, swapped) shows at once: read changing() first, so
  // an idle executor's count already includes the change that answered its caller.
  const bool changing = gw_.control().changing();
  const uint64_t changes = gw_.control().changesApplied();
  const auto now = std::chrono::steady_clock::now();
  if (changing || changes != health_changes_ ||
      health_at_ == std::chrono::steady_clock::time_point{} ||
      now - health_at_ >= std::chrono::seconds(1)) {
    health_ = healthVerdict(gw_, gw_.config().admin.health_max_undelivered);
    health_at_ = now;
    health_changes_ = changes;
  }
  return health_;
}

// Every change runs on the control plane's executor, one after another, whichever way it
// came (this API, a remote request, SIGHUP).
template <typename Fn>
ApiResponse AdminApi::exclusive(Fn&& fn) {
  return gw_.control().execute("api", std::forward<Fn>(fn));
}

namespace {
// A change applied but not kept across restarts is still an answer the operator must read.
ApiResponse withKept(ApiResponse r, const Status& kept) {
  if (kept.ok()) return r;
  r.headers.emplace_back("Warning", "199 storegate \"" + kept.message + "\"");
  logError("control", "change applied but not kept", {{"error", kept.message}});
  return r;
}
}  // namespace

ApiResponse AdminApi::status() {
  return ApiResponse::json(200, statusDocument(gw_, gw_.config().admin.health_max_undelivered));
}

ApiResponse AdminApi::plugins() {
  json list = json::array();
  for (const auto& r : gw_.instances()) list.push_back(reportJson(r));
  return ApiResponse::json(200, {{"plugins", list}});
}

ApiResponse AdminApi::plugin(const ApiRequest& req) {
  const auto r = gw_.instance(req.params.at("name"));
  if (!r)
    return ApiResponse::error(404, "not_found",
                              "no instance named '" + req.params.at("name") + "'");
  return ApiResponse::json(200, reportJson(*r));
}

ApiResponse AdminApi::addPlugin(const ApiRequest& req) {
  json body;
  if (auto bad = parseBody(req, {"name", "plugin", "config", "match", "library"},
                           {"name", "plugin"}, body))
    return *bad;
  if (!body["name"].is_string() || !body["plugin"].is_string())
    return ApiResponse::error(422, "invalid_field", "name and plugin must be strings",
                              {{"path", !body["name"].is_string() ? "name" : "plugin"}});
  InstanceSpec spec;
  spec.name = body["name"].get<std::string>();
  if (!validInstanceName(spec.name))
    return ApiResponse::error(422, "invalid_field", "name '" + spec.name + "' " + kInstanceNameRule,
                              {{"path", "name"}});
  spec.plugin = body["plugin"].get<std::string>();
  spec.path = "plugins[" + spec.name + "]";
  spec.base_dir = gw_.configSnapshot().source_file.parent_path();
  if (body.contains("config")) {
    if (!body["config"].is_object())
      return ApiResponse::error(422, "invalid_field", "config must be an object",
                                {{"path", "config"}});
    spec.config = body["config"];
  }
  if (body.contains("match")) {
    if (!body["match"].is_array())
      return ApiResponse::error(422, "invalid_field", "match must be a list of type globs",
                                {{"path", "match"}});
    for (const auto& m : body["match"]) {
      if (!m.is_string())
        return ApiResponse::error(422, "invalid_field", "match entries must be strings",
                                  {{"path", "match"}});
      spec.delivery.match.push_back(m.get<std::string>());
    }
  }
  if (body.contains("library")) {
    if (!body["library"].is_string())
      return ApiResponse::error(422, "invalid_field", "library must be a path",
                                {{"path", "library"}});
    spec.library = body["library"].get<std::string>();
  }
  return exclusive([&] {
    if (gw_.instance(spec.name))
      return ApiResponse::error(409, "conflict",
                                "an instance named '" + spec.name + "' already exists");
    // The file's instances (disabled or removed through the API too) are the file's: an
    // instance of the same name added here would be shadowed by it at the next start.
    if (gw_.control().inFile(spec.name))
      return ApiResponse::error(409, "conflict",
                                "the config file names an instance '" + spec.name +
                                    "'; enable or change it there, or choose another name");
    const ConfigErrors errors = gw_.validateInstance(spec);
    if (!errors.empty()) return configErrors(errors);
    const Status s = gw_.control().manager().add(spec);
    // Kept either way: a failed instance stays configured (as from the file).
    json added{{"plugin", spec.plugin}, {"config", spec.config}};
    if (!spec.delivery.match.empty()) added["match"] = spec.delivery.match;
    if (!spec.library.empty()) added["library"] = spec.library.string();
    const Status kept = gw_.control().record(spec.name, [&](control::InstanceChange& c) {
      control::InstanceChange fresh;
      fresh.base_hash = c.base_hash;
      fresh.added = added;
      c = std::move(fresh);
    });
    if (!s.ok()) return ApiResponse::error(500, "start_failed", s.message);
    return withKept(ApiResponse::json(201, reportJson(*gw_.instance(spec.name))), kept);
  });
}

ApiResponse AdminApi::removePlugin(const ApiRequest& req) {
  return exclusive([&] {
    const Status s = gw_.control().manager().remove(req.params.at("name"));
    if (!s.ok()) return statusError(s, "remove");
    const Status kept = gw_.control().record(req.params.at("name"),
                                             [](control::InstanceChange& c) { c.removed = true; });
    return withKept(ApiResponse::json(200, {{"removed", req.params.at("name")}}), kept);
  });
}

ApiResponse AdminApi::startStop(const ApiRequest& req, bool start) {
  return exclusive([&] {
    const std::string& name = req.params.at("name");
    const Status s = start ? gw_.control().manager().startInstance(name)
                           : gw_.control().manager().stopInstance(name);
    if (!s.ok() && s.code != SG_ERR_FAILED) return statusError(s, start ? "start" : "stop");
    // Stopped stays stopped across a restart; started (even if it failed) is the file's way.
    const Status kept =
        gw_.control().record(name, [start](control::InstanceChange& c) { c.stopped = !start; });
    const auto r = gw_.instance(name);
    if (!s.ok())
      return ApiResponse::error(500, "start_failed", s.message, {{"plugin", reportJson(*r)}});
    return withKept(ApiResponse::json(200, reportJson(*r)), kept);
  });
}

ApiResponse AdminApi::snapshot(const ApiRequest& req) {
  const std::string& name = req.params.at("name");
  std::string type, body;
  const Status s = gw_.queryInstance(name, "snapshot", "", type, body);
  if (s.ok()) return ApiResponse::text(200, std::move(body), type);
  switch (s.code) {
    case SG_ERR_NOT_FOUND:
      return ApiResponse::error(404, "not_found", s.message);
    case SG_ERR_CLOSED:
      return ApiResponse::error(409, "not_running", s.message + "; start it first");
    case SG_ERR_UNSUPPORTED:
      return ApiResponse::error(422, "unsupported",
                                "instance '" + name + "' takes no snapshots (only cameras do)");
    case SG_ERR_TIMEOUT:
      return ApiResponse::error(503, "unavailable", s.message);
    default:
      return ApiResponse::error(500, "failed", "snapshot: " + s.message);
  }
}

ApiResponse AdminApi::configure(const ApiRequest& req) {
  json body;
  if (auto bad = parseBody(req, {"config", "merge"}, {"config"}, body)) return *bad;
  if (body.contains("merge") && !body["merge"].is_boolean())
    return ApiResponse::error(422, "invalid_field", "merge must be true or false",
                              {{"path", "merge"}});
  if (!body["config"].is_object())
    return ApiResponse::error(422, "invalid_field", "config must be an object",
                              {{"path", "config"}});
  return exclusive([&] {
    const std::string& name = req.params.at("name");
    // The spec the instance runs with now — not the file's — so a second patch keeps the
    // first, and a build swapped to stays.
    const std::optional<InstanceSpec> current = gw_.instanceSpec(name);
    if (!current) return ApiResponse::error(404, "not_found", "no instance named '" + name + "'");
    InstanceSpec spec = *current;
    // merge: a JSON merge patch (RFC 7396) onto the instance's config, so a client can
    // send only what it changed (and leave secrets it never saw alone).
    if (body.value("merge", false)) {
      if (!spec.config.is_object()) spec.config = json::object();
      spec.config.merge_patch(body["config"]);
    } else {
      spec.config = body["config"];
    }
    const ConfigErrors errors = gw_.validateInstance(spec);
    if (!errors.empty()) return configErrors(errors);
    const Status s = gw_.control().manager().update(spec);
    if (!s.ok()) return statusError(s, "reconfigure");
    // A stopped instance runs again with its new config (update restarts it).
    const Status kept = gw_.control().record(name, [&](control::InstanceChange& c) {
      c.config = spec.config;
      c.stopped = false;
    });
    return withKept(ApiResponse::json(200, reportJson(*gw_.instance(name))), kept);
  });
}

ApiResponse AdminApi::swap(const ApiRequest& req) {
  json body;
  if (auto bad = parseBody(req, {"library"}, {"library"}, body)) return *bad;
  if (!body["library"].is_string())
    return ApiResponse::error(422, "invalid_field", "library must be a path",
                              {{"path", "library"}});
  const std::filesystem::path library = body["library"].get<std::string>();
  if (!library.is_absolute() || !std::filesystem::exists(library))
    return ApiResponse::error(
        422, "invalid_field",
        "library '" + library.string() + "' must be an absolute path to an existing .so",
        {{"path", "library"}});
  return exclusive([&] {
    const std::string& name = req.params.at("name");
    if (!gw_.instance(name))
      return ApiResponse::error(404, "not_found", "no instance named '" + name + "'");
    const SwapReport s = gw_.control().manager().hotSwap(name, library);
    const json out{{"swapped", s.swapped},
                   {"rolled_back", s.rolled_back},
                   {"error", s.error},
                   {"old_library", s.old_library},
                   {"old_library_fate", s.old_library_fate}};
    if (!s.swapped) return ApiResponse::json(422, out);
    return withKept(ApiResponse::json(200, out), recordSwap(name, library, s));
  });
}

// The body is a plugin build (.so). It is kept under <data_dir>/plugins/ by content hash —
// a new path for every build, as hot swap needs — and the instance is swapped to it.
namespace {
json swapJson(const SwapReport& s, const std::filesystem::path& library) {
  return {{"swapped", s.swapped},
          {"rolled_back", s.rolled_back},
          {"error", s.error},
          {"library", library.string()},
          {"old_library", s.old_library},
          {"old_library_fate", s.old_library_fate}};
}
}  // namespace

ApiResponse AdminApi::upload(const ApiRequest& req) {
  const bool elf = req.body.size() >= 64 && req.body.compare(0, 4,
                                                             "\x7f"
                                                             "ELF") == 0;
  package::Package pkg;
  if (!elf) {
    if (Status s = package::read(req.body, pkg); !s.ok())
      return ApiResponse::error(
          422, "not_a_plugin",
          "the body must be a plugin package (.sgp) or build (.so): " + s.message);
  }
  const auto trust = gw_.trust();
  if (elf && trust->required())
    return ApiResponse::error(422, "unsigned",
                              "this router requires signed plugins: upload a .sgp package made "
                              "with storegatectl plugin pack and sign");
  return exclusive([&] {
    const std::string& name = req.params.at("name");
    const auto r = gw_.instance(name);
    if (!r) return ApiResponse::error(404, "not_found", "no instance named '" + name + "'");
    if (!elf) {
      if (const Status ok = trust->checkPackage(pkg, r->plugin); !ok.ok())
        return ApiResponse::error(422, "package_refused", ok.message);
    }
    const std::string& library = elf ? req.body : pkg.library;
    const auto dir = gw_.configSnapshot().data_dir / "plugins";
    if (Status d = createDirectoriesDurably(dir); !d.ok())
      return ApiResponse::error(500, "unwritable", d.message);
    const std::string stem = elf ? r->plugin : r->plugin + "-" + pkg.manifest.version;
    const auto path = dir / (stem + "-" + package::sha256Hex(library).substr(0, 16) + ".so");
    if (!elf) {
      if (Status w =
              writeFileDurably(path.string() + ".sgm", package::write(pkg, /*with_library=*/false));
          !w.ok())
        return ApiResponse::error(500, "unwritable", w.message);
    }
    if (!std::filesystem::exists(path)) {
      if (Status w = writeFileDurably(path, library); !w.ok())
        return ApiResponse::error(500, "unwritable", w.message);
    }
    const SwapReport s = gw_.control().manager().hotSwap(name, path);
    if (!s.swapped) return ApiResponse::json(422, swapJson(s, path));
    // Kept, with the build it replaced (for rollback), across restarts and power cuts.
    return withKept(ApiResponse::json(200, swapJson(s, path)), recordSwap(name, path, s));
  });
}

ApiResponse AdminApi::rollback(const ApiRequest& req) {
  return exclusive([&] {
    const std::string& name = req.params.at("name");
    if (!gw_.instance(name))
      return ApiResponse::error(404, "not_found", "no instance named '" + name + "'");
    const std::string previous = gw_.control().previousBuild(name).value_or("");
    if (previous.empty())
      return ApiResponse::error(409, "nothing_to_roll_back",
                                "no earlier build of '" + name + "' is recorded (no upload yet)");
    const SwapReport s = gw_.control().manager().hotSwap(name, previous);
    if (!s.swapped) return ApiResponse::json(422, swapJson(s, previous));
    // Rolling back again re-applies the build just left.
    return withKept(ApiResponse::json(200, swapJson(s, previous)), recordSwap(name, previous, s));
  });
}

Status AdminApi::recordSwap(const std::string& name, const std::filesystem::path& library,
                            const SwapReport& s) {
  return gw_.control().record(name, [&](control::InstanceChange& c) {
    c.previous = s.old_library;
    c.library = library.string();
  });
}

ApiResponse AdminApi::buffer() {
  const BufferStats b = gw_.buffer().stats();
  json sinks = json::array();
  for (const auto& r : gw_.instances()) {
    if (r.kinds.find("sink") == std::string::npos) continue;
    const uint64_t cursor = gw_.buffer().cursor(r.name);
    // How long the oldest event this sink has not delivered has waited.
    json oldest_age;
    if (b.last_sequence > cursor) {
      const auto next = gw_.buffer().readAfter(cursor, 1, 1 << 20);
      if (!next.empty())
        oldest_age = std::max<int64_t>(0, (wallClockNs() - next[0].time_unix_ns) / 1'000'000'000);
    }
    sinks.push_back({{"sink", r.name},
                     {"cursor", cursor},
                     {"lag", b.last_sequence > cursor ? b.last_sequence - cursor : 0},
                     {"oldest_undelivered_age_s", oldest_age}});
  }
  return ApiResponse::json(200, {{"events", b.events},
                                 {"bytes", b.bytes},
                                 {"first_sequence", b.first_sequence},
                                 {"last_sequence", b.last_sequence},
                                 {"dropped", b.dropped},
                                 {"dead_letters", b.dead_letters},
                                 {"quarantined", b.quarantined},
                                 {"sinks", sinks}});
}

ApiResponse AdminApi::storeToday() {
  json out = gw_.summary().today(gw_.buffer(), wallClockNs() / 1'000'000'000);
  double occupancy = 0;  // the cameras' gauges
  for (const auto& r : gw_.instances())
    if (auto it = r.metrics.find("occupancy"); it != r.metrics.end()) occupancy += it->second;
  out["occupancy"] = occupancy;
  return ApiResponse::json(200, out);
}

ApiResponse AdminApi::deadLetters(const ApiRequest& req) {
  RocksBuffer* rocks = gw_.rocks();
  json list = json::array();
  if (rocks != nullptr) {
    for (const auto& d : rocks->deadLetters(queryNumber(req, "limit", 100, 1000)))
      list.push_back({{"sink", d.sink},
                      {"sequence", d.sequence},
                      {"reason", d.reason},
                      {"id", d.event.id},
                      {"type", d.event.type},
                      {"source", d.event.source}});
  }
  return ApiResponse::json(200, {{"dead_letters", list}});
}

ApiResponse AdminApi::resolveDeadLetter(const ApiRequest& req, bool retry) {
  RocksBuffer* rocks = gw_.rocks();
  const std::string& seq_text = req.params.at("sequence");
  if (seq_text.empty() || seq_text.size() > 19 ||
      seq_text.find_first_not_of("0123456789") != std::string::npos)
    return ApiResponse::error(400, "bad_sequence", "the sequence must be a number");
  if (rocks == nullptr)
    return ApiResponse::error(404, "not_found", "no dead letters with a memory buffer");
  return exclusive([&] {
    const Status s = rocks->resolveDeadLetter(req.params.at("sink"), std::stoull(seq_text), retry);
    if (!s.ok()) return statusError(s, retry ? "retry" : "discard");
    return ApiResponse::json(200, {{retry ? "retried" : "discarded", std::stoull(seq_text)}});
  });
}

ApiResponse AdminApi::replay(const ApiRequest& req) {
  json body;
  if (auto bad = parseBody(req, {"from"}, {"from"}, body)) return *bad;
  if (!body["from"].is_number_unsigned() || body["from"].get<uint64_t>() == 0)
    return ApiResponse::error(422, "invalid_field", "from must be a sequence number ≥ 1",
                              {{"path", "from"}});
  RocksBuffer* rocks = gw_.rocks();
  if (rocks == nullptr) return ApiResponse::error(409, "conflict", "a memory buffer cannot replay");
  return exclusive([&] {
    const std::string& sink = req.params.at("sink");
    const auto r = gw_.instance(sink);
    if (!r || r->kinds.find("sink") == std::string::npos)
      return ApiResponse::error(404, "not_found", "no sink named '" + sink + "'");
    const uint64_t from = body["from"].get<uint64_t>();
    const BufferStats b = gw_.buffer().stats();
    const bool was_running = r->state == "running";
    if (was_running)  // its worker holds the cursor
      gw_.control().manager().stopInstance(sink).ignoreError("it runs: checked above");
    const uint64_t to = std::min(from - 1, b.last_sequence);
    Status s = rocks->rewindCursor(sink, to);
    if (was_running)
      gw_.control().manager().startInstance(sink).ignoreError("a failed start shows in its state");
    if (!s.ok()) return statusError(s, "replay");
    return ApiResponse::json(
        200, {{"sink", sink}, {"cursor", to}, {"first_available", b.first_sequence}});
  });
}

ApiResponse AdminApi::events(const ApiRequest& req) {
  const size_t last = queryNumber(req, "last", 20, 1000);
  const uint64_t end = gw_.buffer().stats().last_sequence;
  json list = json::array();
  for (const Event& e : gw_.buffer().readAfter(end > last ? end - last : 0, last, 4 << 20)) {
    json one{{"sequence", e.sequence}, {"id", e.id},
             {"type", e.type},         {"source", e.source},
             {"subject", e.subject},   {"time", formatRfc3339(e.time_unix_ns)}};
    json data = json::parse(e.data, nullptr, false);
    if (req.who.role < Role::kOperator) maskMemberIds(data);
    if (!data.is_discarded()) one["data"] = std::move(data);
    list.push_back(one);
  }
  return ApiResponse::json(200, {{"events", list}});
}

ApiResponse AdminApi::logs(const ApiRequest& req) {
  return ApiResponse::json(
      200, {{"lines", Logger::instance().recent(queryNumber(req, "lines", 100, 1000))}});
}

ApiResponse AdminApi::validateConfig(const ApiRequest& req) {
  if (req.body.empty())
    return ApiResponse::error(400, "empty_body", "send the YAML config as the body");
  ConfigErrors errors;
  const GatewayConfig running = gw_.configSnapshot();
  auto cfg = parseConfig(req.body, running.source_file.parent_path(), errors);
  // Validating opens every library the config names, and runs its constructors: naming
  // other libraries or plugin directories than those running is an admin's to do.
  if (cfg && req.who.role < Role::kAdmin) {
    // No plugin_dirs: the running ones are used (validatePlugins falls back to them).
    bool foreign = !cfg->plugin_dirs.empty() && cfg->plugin_dirs != running.plugin_dirs;
    for (const InstanceSpec& s : cfg->plugins) {
      if (s.library.empty()) continue;
      const auto same = std::find_if(running.plugins.begin(), running.plugins.end(),
                                     [&](const InstanceSpec& r) { return r.library == s.library; });
      if (same == running.plugins.end()) foreign = true;
    }
    if (foreign)
      return ApiResponse::error(403, "forbidden",
                                "this config names libraries or plugin directories the router "
                                "does not run; only an admin may have them checked");
  }
  if (cfg) ignoreResult(gw_.checkPlugins(*cfg, errors), "the errors are the answer");
  if (!errors.empty()) return configErrors(errors);
  return ApiResponse::json(200, {{"valid", true}, {"plugins", cfg->plugins.size()}});
}

ApiResponse AdminApi::getConfig(const ApiRequest& req) {
  const auto file = gw_.configSnapshot().source_file;
  std::ifstream in(file);
  if (!in) return ApiResponse::error(500, "unreadable", "cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  // Secrets leave the router only when an admin on the router itself asks for them: never to
  // a remote request (which would carry them up the uplink) or another host.
  const bool reveal = req.query.count("reveal") != 0 && req.query.at("reveal") == "true";
  const bool local = req.client == "127.0.0.1" || req.client == "::1";
  if (reveal && !local)
    return ApiResponse::error(403, "reveal_refused",
                              "?reveal=true is answered only to an admin on the router itself "
                              "(127.0.0.1); the masked config is at GET /v1/config");
  if (reveal) return ApiResponse::json(200, {{"file", file.string()}, {"yaml", text.str()}});
  std::vector<std::string> secrets;
  for (const InstanceReport& r : gw_.instances())
    secrets.insert(secrets.end(), r.secret_texts.begin(), r.secret_texts.end());
  return ApiResponse::json(
      200, {{"file", file.string()}, {"yaml", maskSecrets(text.str(), secrets)}, {"masked", true}});
}

// Validate, write beside the file, apply as differences; if any part fails, apply the
// previous config again and leave the file as it was; else rename over it (atomic).
ApiResponse AdminApi::applyConfig(const ApiRequest& req) {
  if (req.body.empty())
    return ApiResponse::error(400, "empty_body", "send the YAML config as the body");
  return exclusive([&] {
    const GatewayConfig previous = gw_.control().file();
    const std::filesystem::path file = previous.source_file;
    ConfigErrors errors;
    auto next = parseConfig(req.body, file.parent_path(), errors);
    if (next) ignoreResult(gw_.checkPlugins(*next, errors), "the errors are the answer");
    if (!errors.empty()) return configErrors(errors);
    next->source_file = file;
    const std::vector<std::string> failures =
        gw_.control().applyFile(*next, /*keep_on_failure=*/false);
    if (!failures.empty()) {
      const std::vector<std::string> undo =
          gw_.control().applyFile(previous, /*keep_on_failure=*/true);
      return ApiResponse::error(
          409, "apply_failed",
          "part of the config could not be applied; the previous config "
          "was restored and the file left unchanged",
          {{"failures", failures}, {"rolled_back", true}, {"rollback_failures", undo}});
    }
    // Durably: a power cut after this answer must not bring the old file back.
    if (Status w = writeFileDurably(file, req.body, 0640); !w.ok()) {
      // The file is the truth after a restart: what runs must not differ from it.
      const std::vector<std::string> undo =
          gw_.control().applyFile(previous, /*keep_on_failure=*/true);
      return ApiResponse::error(500, "unwritable",
                                "cannot replace the config file, so the previous config was "
                                "applied again: " +
                                    w.message,
                                {{"rolled_back", true}, {"rollback_failures", undo}});
    }
    return ApiResponse::json(200, {{"applied", true}, {"file", file.string()}});
  });
}

}  // namespace storegate::admin
