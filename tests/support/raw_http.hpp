// Raw TCP clients for attacking HTTP listeners on 127.0.0.1: byte-exact requests, slow
// senders and connection floods, each bounded in count and time and closed by the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace storegate::test {

// One TCP connection to 127.0.0.1:port. Closed by the destructor.
class RawConnection {
 public:
  explicit RawConnection(int port);  // connects (blocking); ok() says whether it did
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes);  // false when the peer has closed or reset
  // Reads until `timeout` passes or the peer closes; returns what arrived.
  std::string readFor(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the peer to close (EOF or reset); true when it did.
  bool closedWithin(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// `count` connections that each send a partial request head, then one more byte every
// `interval` (a slowloris attack), from a background thread until stopped or destroyed.
class SlowClients {
 public:
  SlowClients(int port, int count, std::chrono::milliseconds interval,
              const std::string& head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  ~SlowClients();
  void stop();
  [[nodiscard]] int connected() const { return connected_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> connected_{0};
  std::thread thread_;
};

// Up to `attempts` connections opened as fast as they go, each held open and silent; at most
// `held` at once (the oldest is closed to open the next). Runs until done, stopped or
// destroyed.
class ConnectionFlood {
 public:
  ConnectionFlood(int port, int attempts, int held);
  ~ConnectionFlood();
  void stop();
  [[nodiscard]] int made() const { return made_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> made_{0};
  std::thread thread_;
};

}  // namespace storegate::test
