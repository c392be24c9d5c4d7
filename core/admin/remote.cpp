#include "admin/remote.hpp"

#include <nlohmann/json.hpp>

#include "admin/admin_server.hpp"
#include "buffer/ingest.hpp"
#include "common/log.hpp"
#include "common/thread_guard.hpp"
#include "common/time.hpp"
#include "event/json_check.hpp"

namespace storegate::admin {

namespace {
using nlohmann::json;

constexpr size_t kMaxPathBytes = 2048;

bool printableAscii(std::string_view s) {
  for (const char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

std::optional<std::string> stringField(const json& cmd, const char* key, std::string& error,
                                       size_t max_bytes, bool required) {
  const auto it = cmd.find(key);
  if (it == cmd.end() || it->is_null()) {
    if (required) error = std::string(key) + " is missing: an admin.request needs it";
    return std::nullopt;
  }
  if (!it->is_string()) {
    error = std::string(key) + " must be a string, not " + it->type_name();
    return std::nullopt;
  }
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    error = std::string(key) + " is longer than " + std::to_string(max_bytes) + " bytes";
    return std::nullopt;
  }
  return text;
}
}  // namespace

std::optional<RemoteRequest> parseRemoteRequest(std::string_view data, std::string& id,
                                                std::string& error) noexcept {
  try {
    if (data.size() > kRemoteRequestMaxBytes) {
      error = "the request is larger than " + std::to_string(kRemoteRequestMaxBytes) + " bytes";
      return std::nullopt;
    }
    // Depth is bounded before a document is built: a deep one would exhaust the stack in
    // the recursive copy and dump that follow parsing.
    if (!isValidJson(data, kRemoteRequestMaxDepth)) {
      error = "the request is not one JSON value in valid UTF-8 (or nests deeper than " +
              std::to_string(kRemoteRequestMaxDepth) + ")";
      return std::nullopt;
    }
    const json cmd = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (cmd.is_discarded()) {
      error = "the request is not valid JSON (invalid UTF-8?)";
      return std::nullopt;
    }
    if (!cmd.is_object()) {
      error = std::string("the request must be a JSON object, not ") + cmd.type_name();
      return std::nullopt;
    }
    RemoteRequest r;
    std::string field_error;
    if (auto v = stringField(cmd, "id", field_error, kRemoteIdMaxBytes, false)) {
      if (!printableAscii(*v)) {
        error = "id must be printable ASCII without spaces";
        return std::nullopt;
      }
      r.id = *v;
      id = r.id;
    } else if (!field_error.empty()) {
      error = field_error;
      return std::nullopt;
    }
    const auto method = stringField(cmd, "method", error, 8, true);
    if (!method) return std::nullopt;
    if (*method != "GET" && *method != "POST" && *method != "PUT" && *method != "DELETE") {
      error = "method must be GET, POST, PUT or DELETE";
      return std::nullopt;
    }
    r.method = *method;
    const auto path = stringField(cmd, "path", error, kMaxPathBytes, true);
    if (!path) return std::nullopt;
    if (path->empty() || path->front() != '/' || !printableAscii(*path)) {
      error = "path must start with / and be printable ASCII (percent-encode the rest)";
      return std::nullopt;
    }
    r.path = path->substr(0, path->find('?'));
    if (auto t = stringField(cmd, "token_sha256", error, 64, false)) {
      r.token_sha256 = *t;
    } else if (!error.empty()) {
      return std::nullopt;
    }
    if (auto e = stringField(cmd, "expires_at", error, 64, false)) {
      r.expires_at_ns = parseTimestamp(*e);
      if (!r.expires_at_ns) {
        error = "expires_at must be an RFC 3339 time such as 2026-12-01T10:00:00Z";
        return std::nullopt;
      }
    } else if (!error.empty()) {
      return std::nullopt;
    }
    if (const auto b = cmd.find("body"); b != cmd.end() && !b->is_null()) {
      r.body = b->is_string() ? b->get<std::string>()
                              : b->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return r;
  } catch (const std::exception& e) {
    error = std::string("the request could not be read: ") + e.what();
    return std::nullopt;
  }
}

RemoteRequests::RemoteRequests(AdminServer& server, EventBuffer& buffer, Ingest& ingest)
    : server_(server), buffer_(buffer), ingest_(ingest) {
  // kRemoteCursor is an internal reader ('_'): it keeps its place but never holds retention.
  // A failure of the loop itself is logged and the loop starts again (after a pause), so
  // remote management never dies silently.
  thread_ = std::thread([this] {
    while (!stopping_ && !runGuarded("remote requests", [this] { run(); }))
      std::this_thread::sleep_for(std::chrono::seconds(1));
  });
}

RemoteRequests::~RemoteRequests() {
  stopping_ = true;
  buffer_.wakeAll();
  if (thread_.joinable()) thread_.join();
}

void RemoteRequests::answer(const Event& e) noexcept {
  std::string id, error;
  ApiResponse r;
  try {
    const auto request = parseRemoteRequest(e.data, id, error);
    if (!request) {
      r = ApiResponse::error(400, "bad_request", error);
    } else if (request->expires_at_ns && *request->expires_at_ns < wallClockNs()) {
      r = ApiResponse::error(408, "expired", "the request expired before the store got it");
    } else {
      ApiRequest req;
      req.method = request->method;
      req.path = request->path;
      req.client = "remote:" + e.source;
      req.body = request->body;
      r = server_.handleHashed(req, request->token_sha256);
    }
  } catch (const std::exception& ex) {
    r = ApiResponse::error(500, "internal", std::string("the request failed: ") + ex.what());
  }
  try {
    json answer{{"id", id}, {"status", r.status}};
    const json body = json::parse(r.body, nullptr, false);
    answer["body"] = body.is_discarded() ? json(r.body) : body;
    Event out;
    out.type = "store.command.result";
    out.subject = id;
    out.datacontenttype = "application/json";
    out.data = answer.dump(-1, ' ', false, json::error_handler_t::replace);
    const sg_event view = out.view();
    if (Status s = ingest_.emit("_admin", {&view, 1}); !s.ok())
      logError("admin", "cannot store a remote answer", {{"id", id}, {"error", s.message}});
  } catch (const std::exception& ex) {
    logError("admin", "cannot answer a remote request", {{"id", id}, {"error", ex.what()}});
  }
}

void RemoteRequests::run() {
  uint64_t cursor = buffer_.cursor(kRemoteCursor);
  if (cursor == 0) {
    // First run on this buffer: requests stored before the runner existed are not run.
    cursor = buffer_.stats().last_sequence;
    if (Status s = buffer_.commitCursor(kRemoteCursor, cursor); !s.ok())
      logWarn("admin", "cannot store the remote cursor; it is stored with the next answer",
              {{"error", s.message}});
  }
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    std::vector<Event> batch = buffer_.readAfter(cursor, 500, 1 << 20);
    if (batch.empty()) {
      const BufferStats st = buffer_.stats();
      if (st.last_sequence > cursor && (st.first_sequence == 0 || st.first_sequence > cursor + 1)) {
        cursor = st.first_sequence == 0 ? st.last_sequence : st.first_sequence - 1;  // dropped
      } else {
        buffer_.waitForMore(cursor, std::chrono::milliseconds(200));
      }
      continue;
    }
    uint64_t handled = cursor;
    bool cursor_failed = false;
    for (const Event& e : batch) {
      if (stopping_) break;
      if (e.type == "store.command" && e.subject == "admin.request") {
        // At most once: the cursor moves past a request before it runs, so a crash while
        // it runs (or a commit that fails after) can never run it again — a second
        // rollback would swap back to the build just left.
        if (Status s = buffer_.commitCursor(kRemoteCursor, e.sequence); !s.ok()) {
          logError("admin", "cannot advance the remote cursor; the request waits",
                   {{"error", s.message}});
          cursor_failed = true;
          break;
        }
        answer(e);
      }
      handled = e.sequence;
    }
    if (cursor_failed) {
      cursor = handled;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (handled == cursor) continue;
    // Past the other events read too (they are not ours to answer).
    if (Status s = buffer_.commitCursor(kRemoteCursor, handled); !s.ok()) {
      logError("admin", "cannot advance the remote cursor", {{"error", s.message}});
      // Not a hot loop over the same requests: wait, then read on from where we are.
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    } else {
      backoff = std::chrono::milliseconds(100);
    }
    cursor = handled;
  }
}

}  // namespace storegate::admin
