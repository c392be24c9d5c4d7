#include "admin/remote.hpp"

#include <nlohmann/json.hpp>

#include "admin/admin_server.hpp"
#include "buffer/ingest.hpp"
#include "common/log.hpp"
#include "common/time.hpp"

namespace storegate::admin {

namespace {
using nlohmann::json;
}  // namespace

RemoteRequests::RemoteRequests(AdminServer& server, EventBuffer& buffer, Ingest& ingest)
    : server_(server), buffer_(buffer), ingest_(ingest) {
  buffer_.registerSink(kRemoteCursor);
  thread_ = std::thread([this] { run(); });
}

RemoteRequests::~RemoteRequests() {
  stopping_ = true;
  buffer_.wakeAll();
  if (thread_.joinable()) thread_.join();
}

void RemoteRequests::run() {
  uint64_t cursor = buffer_.cursor(kRemoteCursor);
  if (cursor == 0) {
    // First run on this buffer: requests stored before the runner existed are not run.
    cursor = buffer_.stats().last_sequence;
    (void)buffer_.commitCursor(kRemoteCursor, cursor);
  }
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
    for (const Event& e : batch) {
      if (e.type != "store.command" || e.subject != "admin.request") continue;
      const json cmd = json::parse(e.data, nullptr, false);
      json answer{{"id", cmd.is_object() ? cmd.value("id", "") : ""}};
      ApiResponse r;
      if (!cmd.is_object() || !cmd.contains("method") || !cmd["method"].is_string() ||
          !cmd.contains("path") || !cmd["path"].is_string()) {
        r = ApiResponse::error(400, "bad_request", "an admin.request needs string method and path");
      } else if (cmd.contains("expires_at") && cmd["expires_at"].is_string() &&
                 parseTimestamp(cmd["expires_at"].get<std::string>()).value_or(INT64_MAX) <
                     wallClockNs()) {
        r = ApiResponse::error(408, "expired", "the request expired before the store got it");
      } else {
        ApiRequest req;
        req.method = cmd["method"].get<std::string>();
        const std::string full = cmd["path"].get<std::string>();
        req.path = full.substr(0, full.find('?'));
        req.client = "remote:" + e.source;
        if (cmd.contains("body") && !cmd["body"].is_null())
          req.body = cmd["body"].is_string() ? cmd["body"].get<std::string>() : cmd["body"].dump();
        r = server_.handleHashed(req, cmd.value("token_sha256", ""));
      }
      answer["status"] = r.status;
      const json body = json::parse(r.body, nullptr, false);
      answer["body"] = body.is_discarded() ? json(r.body) : body;
      Event out;
      out.type = "store.command.result";
      out.subject = answer["id"].get<std::string>();
      out.datacontenttype = "application/json";
      out.data = answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      const sg_event view = out.view();
      if (Status s = ingest_.emit("_admin", {&view, 1}); !s.ok())
        logError("admin", "cannot store a remote answer",
                 {{"id", out.subject}, {"error", s.message}});
    }
    cursor = batch.back().sequence;
    if (Status s = buffer_.commitCursor(kRemoteCursor, cursor); !s.ok())
      logError("admin", "cannot advance the remote cursor", {{"error", s.message}});
  }
}

}  // namespace storegate::admin
