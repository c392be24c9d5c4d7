#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>

namespace storegate::test {

namespace {

int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Floods and slow clients need more descriptors than the default soft limit of 1024.
void raiseDescriptorLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

RawConnection::RawConnection(int port) : fd_(connectTo(port)) {}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  return fd_ >= 0 && sendAll(fd_, bytes);
}

std::string RawConnection::readFor(std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool RawConnection::closedWithin(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or reset
  }
  return true;
}

SlowClients::SlowClients(int port, int count, std::chrono::milliseconds interval,
                         const std::string& head) {
  raiseDescriptorLimit();
  thread_ = std::thread([this, port, count, interval, head] {
    std::vector<int> fds;
    for (int i = 0; i < count && !stop_; ++i) {
      const int fd = connectTo(port);
      if (fd < 0) continue;
      if (sendAll(fd, head)) {
        fds.push_back(fd);
        ++connected_;
      } else {
        ::close(fd);
      }
    }
    // One byte of a header that never ends, on every connection, every `interval`; a
    // connection the server closed is opened again, as an attacker would.
    while (!stop_) {
      for (int& fd : fds) {
        if (!sendAll(fd, "X")) {
          ::close(fd);
          fd = connectTo(port);
          if (fd >= 0 && !sendAll(fd, head)) {
            ::close(fd);
            fd = -1;
          }
        }
      }
      for (auto waited = std::chrono::milliseconds(0); waited < interval && !stop_;
           waited += std::chrono::milliseconds(20))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  });
}

SlowClients::~SlowClients() {
  stop();
}

void SlowClients::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

ConnectionFlood::ConnectionFlood(int port, int attempts, int held) {
  raiseDescriptorLimit();
  thread_ = std::thread([this, port, attempts, held] {
    std::deque<int> open;
    for (int i = 0; i < attempts && !stop_; ++i) {
      const int fd = connectTo(port);
      ++made_;
      if (fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // backlog full: retry soon
        continue;
      }
      open.push_back(fd);
      if (static_cast<int>(open.size()) > held) {
        ::close(open.front());
        open.pop_front();
      }
    }
    while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (int fd : open) ::close(fd);
  });
}

ConnectionFlood::~ConnectionFlood() {
  stop();
}

void ConnectionFlood::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace storegate::test
