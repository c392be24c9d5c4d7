// An HTTP/1.1 listener on Poco that stays up under slow, idle and flooding clients.
//
// Optional part of the SDK, header-only: include it only in a plugin that links Poco::Net
// (the gateway's own admin API uses it too). It wraps Poco's HTTPServer connection loop
// (thread per connection) with what that loop lacks:
//   - a deadline per stage, not per recv: the request head must be complete within
//     `request_timeout`; a body must arrive at `min_rate` bytes/s at least (after the same
//     grace); an idle keep-alive connection gets `io_timeout`, then the head's deadline;
//   - load shedding: while every worker is busy and connections queue, a connection that has
//     sent an incomplete head and then gone quiet is closed before it gets a thread's time,
//     and started connections that only wait (for a head, or idle) are closed oldest first;
//   - a cap of started connections per client address: a new one closes that address's oldest
//     waiting connection, or is refused with 503 when all of them are busy;
//   - strict framing, checked before any handler runs: one Content-Length of digits only, no
//     Transfer-Encoding beside it, no chunked or compressed bodies; a refusal closes the
//     connection so an unread body is never read as the next request.
//
// Threading: `start`/`stop` from one owner thread. Handlers run on the listener's workers and
// may call the static stage functions (`bodyRead`, `responding`, `streaming`) on their own
// thread to narrow or lift the deadline; without those calls a request is bounded by its
// head-time deadline (request_timeout + Content-Length / min_rate). `stop` returns after
// every handler has returned. Deadlines are enforced by shutting the socket down (the worker's
// blocked read or write fails), so a handler's own work is never interrupted.
//
// Linux only: it reads TCP_INFO to tell how long a queued connection has been silent.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace storegate::sdk::http {

struct ListenerOptions {
  int threads = 8;  // requests handled at once
  int queue = 64;   // accepted connections waiting for a worker
  // One blocking read or write, and how long an idle keep-alive connection is kept.
  std::chrono::milliseconds io_timeout{10'000};
  // The whole request head; also the grace a body or an answer gets before `min_rate` counts.
  std::chrono::milliseconds request_timeout{10'000};
  uint64_t min_rate = 16 * 1024;  // bytes per second a body or an answer must keep up
  int max_per_address = 0;        // started connections per client address; 0: `threads`
  // While connections queue, a waiting connection older than this is closed.
  std::chrono::milliseconds shed_after{100};
  bool keep_alive = true;
};

struct ListenerStats {
  uint64_t timed_out = 0;            // closed at a stage deadline
  uint64_t shed = 0;                 // closed to make room while connections queued
  uint64_t evicted = 0;              // closed for a newer connection from the same address
  uint64_t refused_per_address = 0;  // refused: the address's connections were all busy
  uint64_t refused_framing = 0;      // refused before a handler: bad or ambiguous framing
  uint64_t refused_by_queue = 0;     // Poco's queue was full (counted by Poco)
};

namespace detail {
inline void lingerAfterRefusal();
}  // namespace detail

// Sends a complete answer; `close` ends the connection after it (use it whenever the request
// body was not read: the answer is flushed, the sending side shut, and what the client still
// sends is read and dropped for a moment, so its kernel gets no reset that would swallow the
// answer). The reason phrase matches the status.
inline void send(Poco::Net::HTTPServerResponse& resp, int status, const std::string& content_type,
                 const std::string& body, bool close) {
  resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType(content_type);
  if (close) resp.setKeepAlive(false);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostream& out = resp.send();
  out << body;
  out.flush();
  if (close) detail::lingerAfterRefusal();
}

namespace detail {
// RFC 9110 field names are tokens; values hold no control characters but HTAB. Anything else
// is how requests are smuggled past a proxy that reads them otherwise ("Content-Length :",
// a NUL or a lone CR inside a value), so it is refused, not repaired.
inline bool isToken(const std::string& s) {
  if (s.empty()) return false;
  for (const unsigned char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}
inline bool isCleanValue(const std::string& v) {
  for (const unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}
}  // namespace detail

// Why a request's framing is refused, or nullopt when it is acceptable: {status, message}.
inline std::optional<std::pair<int, std::string>> framingError(
    const Poco::Net::HTTPServerRequest& req) {
  int lengths = 0;
  bool transfer_encoding = false;
  for (auto it = req.begin(); it != req.end(); ++it) {
    if (!detail::isToken(it->first))
      return std::pair{400, "a header name is not a token (no spaces or separators)"};
    if (!detail::isCleanValue(it->second))
      return std::pair{400, "a header value holds control characters"};
    if (Poco::icompare(it->first, "Content-Length") == 0) {
      ++lengths;
      const std::string& v = it->second;
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        return std::pair{400, "Content-Length must be a decimal number of bytes"};
    } else if (Poco::icompare(it->first, "Transfer-Encoding") == 0) {
      transfer_encoding = true;
    }
  }
  if (lengths > 1) return std::pair{400, "more than one Content-Length header"};
  if (transfer_encoding && lengths > 0)
    return std::pair{400, "Content-Length and Transfer-Encoding together"};
  if (transfer_encoding)
    return std::pair{411, "chunked or encoded transfers are refused; send a Content-Length"};
  if (req.has("Content-Encoding") && Poco::icompare(req.get("Content-Encoding"), "identity") != 0)
    return std::pair{415, "compressed request bodies are refused"};
  return std::nullopt;
}

namespace detail {

using Clock = std::chrono::steady_clock;

enum class Stage { kWaiting, kBody, kWorking, kAnswering, kStreaming };

// The client a connection counts against: an IPv4 address, or an IPv6 /64 (one host is
// routinely given a whole /64, so per-address caps on full IPv6 addresses cap nothing).
// An IPv4-mapped IPv6 address counts as its IPv4 address.
inline std::string addressKey(const Poco::Net::IPAddress& host) {
  if (host.family() != Poco::Net::IPAddress::IPv6) return host.toString();
  if (host.isIPv4Mapped()) {
    const auto* b = static_cast<const unsigned char*>(host.addr());
    return std::to_string(b[12]) + "." + std::to_string(b[13]) + "." + std::to_string(b[14]) + "." +
           std::to_string(b[15]);
  }
  const auto* b = static_cast<const unsigned char*>(host.addr());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 8; ++i) {
    key += kHex[b[i] >> 4];
    key += kHex[b[i] & 0xF];
    if (i % 2 == 1) key += ':';
  }
  return key + ":/64";
}

struct Entry {
  int fd = -1;  // a dup of the connection's socket: shutdown through it, never reused early
  std::string address;
  Stage stage = Stage::kWaiting;
  Clock::time_point since;
  Clock::time_point deadline;  // max(): none
  bool closing = false;
};

// State shared by the listener, its reaper and every connection (owned through shared_ptr so
// a connection that outlives `stop` by a moment never touches freed memory).
class Tracker {
 public:
  explicit Tracker(ListenerOptions o) : options_(std::move(o)) {
    if (options_.max_per_address <= 0) options_.max_per_address = options_.threads;
  }

  const ListenerOptions& options() const { return options_; }

  // A connection got a worker. Returns its id, or 0 when it must be refused.
  uint64_t enter(const Poco::Net::StreamSocket& socket, bool under_pressure) {
    if (stopping_.load()) return 0;
    std::string address;
    try {
      address = addressKey(socket.peerAddress().host());
    } catch (const Poco::Exception&) {
      return 0;  // already gone
    }
    const int fd = static_cast<int>(socket.impl()->sockfd());
    if (under_pressure && quietWithIncompleteHead(fd)) {
      shed_.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return 0;
    std::lock_guard lock(mu_);
    int same = 0;
    uint64_t oldest_waiting = 0;
    Clock::time_point oldest = Clock::time_point::max();
    for (auto& [id, e] : entries_) {
      if (e.address != address || e.closing) continue;
      ++same;
      if (e.stage == Stage::kWaiting && e.since < oldest) {
        oldest = e.since;
        oldest_waiting = id;
      }
    }
    if (same >= options_.max_per_address) {
      if (oldest_waiting == 0) {
        ::close(dup);
        refused_per_address_.fetch_add(1, std::memory_order_relaxed);
        return 0;
      }
      closeLocked(entries_[oldest_waiting]);
      evicted_.fetch_add(1, std::memory_order_relaxed);
    }
    const uint64_t id = ++next_id_;
    const auto now = Clock::now();
    entries_[id] = Entry{dup, address, Stage::kWaiting, now, now + options_.request_timeout};
    return id;
  }

  void leave(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    ::close(it->second.fd);
    entries_.erase(it);
  }

  void stage(uint64_t id, Stage s, uint64_t bytes = 0) {
    const auto now = Clock::now();
    Clock::time_point deadline = Clock::time_point::max();
    if (s == Stage::kWaiting) deadline = now + options_.io_timeout + options_.request_timeout;
    if (s == Stage::kBody || s == Stage::kAnswering) deadline = now + allowance(bytes);
    if (s == Stage::kStreaming)  // `bytes` carries the longest it may last, in ms
      deadline = now + options_.request_timeout + std::chrono::milliseconds(bytes);
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    it->second.stage = s;
    it->second.since = now;
    it->second.deadline = deadline;
  }

  void countFraming() { refused_framing_.fetch_add(1, std::memory_order_relaxed); }

  // After a refusal: FIN after the answer, then up to 64 KiB or 50 ms of the unread body
  // drained, so closing does not reset the connection under the answer. Called only on the
  // connection's own thread (its entry cannot be left meanwhile).
  void linger(uint64_t id) {
    int fd = -1;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(id);
      if (it == entries_.end() || it->second.closing) return;
      fd = it->second.fd;
    }
    ::shutdown(fd, SHUT_WR);
    const auto until = Clock::now() + std::chrono::milliseconds(50);
    size_t drained = 0;
    char sink[4096];
    while (drained < 64 * 1024) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      const ssize_t n = ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
      if (n <= 0) break;
      drained += static_cast<size_t>(n);
    }
  }

  // One pass of the reaper: deadlines, then shedding while `queued` connections wait.
  void sweep(int busy_threads, int queued) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    std::vector<std::pair<Clock::time_point, uint64_t>> waiting;
    for (auto& [id, e] : entries_) {
      if (e.closing) continue;
      if (now >= e.deadline) {
        closeLocked(e);
        timed_out_.fetch_add(1, std::memory_order_relaxed);
      } else if (e.stage == Stage::kWaiting && now - e.since >= options_.shed_after) {
        waiting.emplace_back(e.since, id);
      }
    }
    if (queued <= 0 || busy_threads < options_.threads) return;
    std::sort(waiting.begin(), waiting.end());
    for (size_t k = 0; k < waiting.size() && static_cast<int>(k) < queued; ++k) {
      closeLocked(entries_[waiting[k].second]);
      shed_.fetch_add(1, std::memory_order_relaxed);
    }
    // Bodies that trickle (a body must be read whole before an HMAC can be checked): while
    // others queue, one address keeps at most half the workers in bodies older than 1 s.
    std::map<std::string, std::vector<std::pair<Clock::time_point, uint64_t>>> slow_bodies;
    for (auto& [id, e] : entries_)
      if (!e.closing && e.stage == Stage::kBody && now - e.since >= std::chrono::seconds(1))
        slow_bodies[e.address].emplace_back(e.since, id);
    const size_t keep = static_cast<size_t>(std::max(1, options_.threads / 2));
    for (auto& [address, list] : slow_bodies) {
      std::sort(list.begin(), list.end());
      for (size_t k = 0; k + keep < list.size(); ++k) {
        closeLocked(entries_[list[k].second]);
        shed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  // Stop: no connection enters any more, and every one's socket is shut down.
  void closeAll() {
    stopping_.store(true);
    std::lock_guard lock(mu_);
    for (auto& [id, e] : entries_)
      if (!e.closing) closeLocked(e);
  }

  ListenerStats stats() const {
    ListenerStats s;
    s.timed_out = timed_out_.load(std::memory_order_relaxed);
    s.shed = shed_.load(std::memory_order_relaxed);
    s.evicted = evicted_.load(std::memory_order_relaxed);
    s.refused_per_address = refused_per_address_.load(std::memory_order_relaxed);
    s.refused_framing = refused_framing_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::chrono::milliseconds allowance(uint64_t bytes) const {
    const uint64_t rate = std::max<uint64_t>(1, options_.min_rate);
    bytes = std::min<uint64_t>(bytes, uint64_t{1} << 40);  // no overflow from a huge length
    return options_.request_timeout + std::chrono::milliseconds(bytes / rate * 1000);
  }

  // A queued connection that has sent part of a head (or nothing) and been silent a while
  // would only hold a worker: close it without reading. Plain HTTP only tells a complete head
  // by peeking; for TLS (or when the kernel cannot tell) the connection is given its chance.
  static bool quietWithIncompleteHead(int fd) {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
    if (info.tcpi_last_data_recv < 20) return false;  // ms since data (or since connected)
    char head[8192];
    const ssize_t n = ::recv(fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0) return true;  // nothing at all, or the peer is gone
    const std::string_view seen(head, static_cast<size_t>(n));
    if (!seen.empty() && seen.front() == 0x16) return false;  // a TLS record: cannot look inside
    return seen.find("\r\n\r\n") == std::string_view::npos && static_cast<size_t>(n) < sizeof(head);
  }

  void closeLocked(Entry& e) {
    e.closing = true;
    ::shutdown(e.fd, SHUT_RDWR);  // the worker's blocked read or write returns at once
  }

  ListenerOptions options_;
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> entries_;  // guarded by mu_
  uint64_t next_id_ = 0;               // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> timed_out_{0}, shed_{0}, evicted_{0}, refused_per_address_{0},
      refused_framing_{0};
};

struct Current {
  Tracker* tracker = nullptr;
  uint64_t id = 0;
};
inline thread_local Current current;

inline void lingerAfterRefusal() {
  if (current.tracker) current.tracker->linger(current.id);
}

class RefusingHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RefusingHandler(int status, std::string message)
      : status_(status), message_(std::move(message)) {}
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    std::string body = R"({"error":"bad_framing","message":")";
    body += message_;  // fixed texts from framingError: nothing to escape
    body += "\"}";
    send(resp, status_, "application/json", body, /*close=*/true);
  }

 private:
  int status_;
  std::string message_;
};

// Marks the connection waiting again once its request is answered.
class StagedHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit StagedHandler(Poco::Net::HTTPRequestHandler* inner) : inner_(inner) {}
  ~StagedHandler() override {
    if (current.tracker) current.tracker->stage(current.id, Stage::kWaiting);
  }
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    inner_->handleRequest(req, resp);
  }

 private:
  std::unique_ptr<Poco::Net::HTTPRequestHandler> inner_;
};

class StagedFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit StagedFactory(Poco::Net::HTTPRequestHandlerFactory::Ptr inner)
      : inner_(std::move(inner)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& req) override {
    if (auto bad = framingError(req)) {
      if (current.tracker) current.tracker->countFraming();
      return new RefusingHandler(bad->first, bad->second);
    }
    if (current.tracker) {
      const uint64_t length =
          req.hasContentLength() ? static_cast<uint64_t>(req.getContentLength64()) : 0;
      current.tracker->stage(current.id, Stage::kBody, length);
    }
    // Poco would answer "100 Continue" before the handler runs, inviting a body the handler
    // may refuse: a status other than 200 stops that; handlers call continueIfExpected once
    // they have admitted the request.
    if (req.getExpectContinue())
      req.response().setStatus(Poco::Net::HTTPResponse::HTTP_EXPECTATION_FAILED);
    Poco::Net::HTTPRequestHandler* handler = inner_->createRequestHandler(req);
    return handler ? new StagedHandler(handler) : nullptr;
  }

 private:
  Poco::Net::HTTPRequestHandlerFactory::Ptr inner_;
};

class GuardedConnection final : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                    std::shared_ptr<Tracker> tracker, const std::atomic<int>* queued)
      : TCPServerConnection(socket),
        params_(std::move(params)),
        factory_(std::move(factory)),
        tracker_(std::move(tracker)),
        queued_(queued) {}

  void run() override {
    const uint64_t id = tracker_->enter(socket(), queued_->load(std::memory_order_relaxed) > 0);
    if (id == 0) {
      // One non-blocking write of plain bytes, never through the socket's TLS layer (whose
      // handshake would block a worker on a silent peer); then the socket closes.
      static constexpr char kBusy[] =
          "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n"
          "Retry-After: 1\r\n\r\n";
      if (::send(static_cast<int>(socket().impl()->sockfd()), kBusy, sizeof(kBusy) - 1,
                 MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        // Best effort: a refused peer may be gone already, and nobody waits for this answer.
      }
      return;
    }
    // Left, and `current` reset, whatever ends the connection.
    struct Leave {
      Tracker& tracker;
      uint64_t id;
      ~Leave() {
        current = {};
        tracker.leave(id);
      }
    } leave{*tracker_, id};
    current = {tracker_.get(), id};
    try {
      // Poco bounds reads; writes (an answer to a client that does not read) are bounded here.
      socket().setSendTimeout(params_->getTimeout());
      Poco::Net::HTTPServerConnection inner(socket(), params_, factory_);
      inner.run();
    } catch (...) {
      // A connection that broke mid-request (reset, shut down at its deadline): Poco's loop
      // has answered what it could; the worker goes on with the next connection.
    }
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  std::shared_ptr<Tracker> tracker_;
  const std::atomic<int>* queued_;
};

class GuardedFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedFactory(Poco::Net::HTTPServerParams::Ptr params,
                 Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                 std::shared_ptr<Tracker> tracker, const std::atomic<int>* queued)
      : params_(std::move(params)),
        factory_(new StagedFactory(std::move(factory))),
        tracker_(std::move(tracker)),
        queued_(queued) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, tracker_, queued_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  std::shared_ptr<Tracker> tracker_;
  const std::atomic<int>* queued_;
};

}  // namespace detail

class Listener {
 public:
  // Takes ownership of `factory`.
  Listener(ListenerOptions options, Poco::Net::HTTPRequestHandlerFactory* factory)
      : tracker_(std::make_shared<detail::Tracker>(std::move(options))), factory_(factory) {}
  ~Listener() { stop(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Starts serving on `socket` (already bound). Throws Poco::Exception.
  void start(const Poco::Net::ServerSocket& socket) {
    const ListenerOptions& o = tracker_->options();
    Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams());
    params->setMaxThreads(o.threads);
    params->setMaxQueued(o.queue);
    params->setTimeout(Poco::Timespan(o.io_timeout.count() * 1000));
    params->setKeepAlive(o.keep_alive);
    params->setKeepAliveTimeout(Poco::Timespan(o.io_timeout.count() * 1000));
    // No cap on requests per connection: Poco ends the connection after the cap in a way
    // clients see as a failed request. Threads, queue and deadlines are the bounds.
    params->setMaxKeepAliveRequests(0);
    // Made before the pool, whose first thread starts in its constructor: what the factory
    // holds is then published to that thread by its creation (Poco's own handoff between
    // its threads is invisible to ThreadSanitizer).
    Poco::Net::TCPServerConnectionFactory::Ptr guarded(
        new detail::GuardedFactory(params, factory_, tracker_, &queued_));
    pool_ = std::make_unique<Poco::ThreadPool>(1, o.threads + 1);
    server_ = std::make_unique<Poco::Net::TCPServer>(guarded, *pool_, socket, params);
    server_->start();
    reaper_ = std::thread([this] { reap(); });
  }

  // Stops accepting, ends every connection and returns once no handler runs.
  void stop() {
    if (server_) server_->stop();  // no more accepts; the queue is dropped
    // Every connection ends now: idle keep-alive, slow heads, slow readers, streams.
    tracker_->closeAll();
    if (pool_) pool_->joinAll();
    if (reaper_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
      reaper_.join();
    }
    server_.reset();
    pool_.reset();
  }

  ListenerStats stats() const {
    ListenerStats s = tracker_->stats();
    if (server_) s.refused_by_queue = static_cast<uint64_t>(server_->refusedConnections());
    return s;
  }

  // Stage calls for handlers, on the handler's own thread (no-ops elsewhere).
  // The body has been read: no deadline while the handler works.
  static void bodyRead() { mark(detail::Stage::kWorking); }
  // The answer is being written: it must go out at `min_rate` after the grace.
  static void responding(uint64_t bytes) { mark(detail::Stage::kAnswering, bytes); }
  // A long-lived answer (an event stream) that ends within `longest` (plus the grace).
  static void streaming(std::chrono::milliseconds longest) {
    mark(detail::Stage::kStreaming, static_cast<uint64_t>(longest.count()));
  }
  // Sends "100 Continue" when the client asked for it: call once the request is admitted,
  // before reading its body.
  static void continueIfExpected(Poco::Net::HTTPServerRequest& req,
                                 Poco::Net::HTTPServerResponse& resp) {
    if (!req.getExpectContinue()) return;
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    resp.sendContinue();
  }

 private:
  static void mark(detail::Stage s, uint64_t bytes = 0) {
    if (detail::current.tracker) detail::current.tracker->stage(detail::current.id, s, bytes);
  }

  void reap() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (stopping_) break;
      const int queued = server_->queuedConnections();
      queued_.store(queued, std::memory_order_relaxed);
      tracker_->sweep(server_->currentConnections(), queued);
    }
  }

  std::shared_ptr<detail::Tracker> tracker_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  std::atomic<int> queued_{0};
  std::thread reaper_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace storegate::sdk::http
