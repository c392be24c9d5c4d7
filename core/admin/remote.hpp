// Remote management through NAT: admin requests that arrive from the cloud as events
// (platform_mqtt's command topic → `store.command` named `admin.request`) run through the
// same routes, roles and audit as the local API, and each answer goes back as a
// `store.command.result` event (platform_mqtt publishes those to its response topic).
//
// Request (the command's data):
//   {"name": "admin.request", "id": "r-17", "token_sha256": "<hex>", "method": "POST",
//    "path": "/v1/plugins/count/stop", "body": {...}, "expires_at": "…"}
// platform_mqtt replaces a clear "token" by its SHA-256 before the command is stored, so
// the token itself never reaches the buffer or a local sink.
// Answer: {"id": "r-17", "status": 200, "body": {...}}
//
// The runner reads the buffer with its own cursor ("_admin_remote"), so a request is
// answered once, also across restarts; requests past `expires_at` answer 408.
#pragma once

#include <atomic>
#include <thread>

namespace storegate {
class Daemon;
class EventBuffer;
class Ingest;
}  // namespace storegate

namespace storegate::admin {

class AdminServer;

class RemoteRequests {
 public:
  RemoteRequests(AdminServer& server, EventBuffer& buffer, Ingest& ingest);
  ~RemoteRequests();  // stops and joins

 private:
  void run();

  AdminServer& server_;
  EventBuffer& buffer_;
  Ingest& ingest_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

inline constexpr const char* kRemoteCursor = "_admin_remote";

}  // namespace storegate::admin
