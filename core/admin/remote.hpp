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
//
// Everything in a request is hostile until parsed: any JSON shape (wrong types, missing
// fields, huge, deep, invalid UTF-8) gets an answer with status 400 naming the field, and the
// cursor moves past it; nothing in a request can end or re-end the daemon.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace storegate {
class EventBuffer;
class Ingest;
struct Event;
}  // namespace storegate

namespace storegate::admin {

class AdminServer;

// Bounds on one request, checked before it is parsed into a document.
inline constexpr size_t kRemoteRequestMaxBytes = 1 << 20;
inline constexpr int kRemoteRequestMaxDepth = 32;
inline constexpr size_t kRemoteIdMaxBytes = 128;

struct RemoteRequest {
  std::string id;
  std::string method;
  std::string path;  // without the query
  std::string body;
  std::string token_sha256;
  std::optional<int64_t> expires_at_ns;
};

// Parses a command's data strictly. On a refusal returns nullopt and sets `error` (which
// names the field and what it must be); `id` is set whenever a valid id could be read, so
// the answer still reaches whoever asked. Never throws.
[[nodiscard]] std::optional<RemoteRequest> parseRemoteRequest(std::string_view data,
                                                              std::string& id,
                                                              std::string& error) noexcept;

class RemoteRequests {
 public:
  RemoteRequests(AdminServer& server, EventBuffer& buffer, Ingest& ingest);
  ~RemoteRequests();  // stops and joins

 private:
  void run();
  // Answers one stored command (never throws).
  void answer(const Event& command) noexcept;

  AdminServer& server_;
  EventBuffer& buffer_;
  Ingest& ingest_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

inline constexpr const char* kRemoteCursor = "_admin_remote";

}  // namespace storegate::admin
