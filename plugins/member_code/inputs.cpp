#include "inputs.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/input.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "hid_keymap.hpp"

namespace storegate::plugins::member_code {

namespace {
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxLine = 512;

void pauseFor(std::chrono::milliseconds d, InputContext& ctx) {
  const auto until = Clock::now() + d;
  while (!ctx.stopping() && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Splits bytes into lines on CR or LF; a line longer than kMaxLine is dropped whole.
class LineSplitter {
 public:
  template <typename Fn>
  void feed(const char* data, size_t n, Fn&& line) {
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (c == '\r' || c == '\n') {
        if (!overlong_ && !buf_.empty()) line(buf_);
        buf_.clear();
        overlong_ = false;
      } else if (buf_.size() < kMaxLine) {
        buf_.push_back(c);
      } else {
        overlong_ = true;
      }
    }
  }

 private:
  std::string buf_;
  bool overlong_ = false;
};

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}
}  // namespace

void runCamera(const camera::VideoSettings& s, FrameDecoder& decoder, InputContext& ctx) {
  camera::runVideo(s, ctx.stopping, ctx.problem, [&](const cv::Mat& frame) {
    for (const Decoded& d : decoder.decode(frame)) ctx.code(d.text, d.symbology);
  });
}

void runTcp(const TcpSettings& s, InputContext& ctx) {
  while (!ctx.stopping()) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(s.port));
    if (::inet_pton(AF_INET, s.host.c_str(), &addr.sin_addr) != 1 ||
        ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 4) != 0) {
      ctx.problem(errnoText("cannot listen on " + s.host + ":" + std::to_string(s.port)));
      ::close(listener);
      pauseFor(ctx.reconnect, ctx);
      continue;
    }
    ctx.problem("");
    std::map<int, LineSplitter> clients;
    while (!ctx.stopping()) {
      std::vector<pollfd> fds{{listener, POLLIN, 0}};
      for (const auto& [fd, _] : clients) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0 && static_cast<int>(clients.size()) >= s.max_connections) {
          ::close(fd);  // bounded: a scanner holds one connection
        } else if (fd >= 0) {
          clients.emplace(fd, LineSplitter{});
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char buf[512];
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ::close(fds[i].fd);
          clients.erase(fds[i].fd);
          continue;
        }
        clients[fds[i].fd].feed(buf, static_cast<size_t>(n),
                                [&](const std::string& line) { ctx.code(line, "scanner"); });
      }
    }
    for (const auto& [fd, _] : clients) ::close(fd);
    ::close(listener);
  }
}

namespace {
speed_t baudFlag(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    default:
      return B9600;
  }
}

// Reads a device with poll() until it fails or stopping; `bytes` gets what arrived.
template <typename Fn>
void readDevice(int fd, InputContext& ctx, Fn&& bytes) {
  while (!ctx.stopping()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if ((p.revents & (POLLERR | POLLNVAL)) != 0) return;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;  // unplugged
    bytes(buf, static_cast<size_t>(n));
  }
}
}  // namespace

void runSerial(const SerialSettings& s, InputContext& ctx) {
  while (!ctx.stopping()) {
    const int fd = ::open(s.device.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      ctx.problem(errnoText("cannot open serial scanner " + s.device));
      pauseFor(ctx.reconnect, ctx);
      continue;
    }
    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
      ::cfmakeraw(&tio);
      ::cfsetispeed(&tio, baudFlag(s.baud));
      tio.c_cflag |= CLOCAL | CREAD;
      ::tcsetattr(fd, TCSANOW, &tio);
    }
    ctx.problem("");
    LineSplitter lines;
    readDevice(fd, ctx, [&](const char* data, size_t n) {
      lines.feed(data, n, [&](const std::string& line) { ctx.code(line, "scanner"); });
    });
    ::close(fd);
    if (!ctx.stopping()) ctx.problem("serial scanner " + s.device + " went away; reopening");
  }
}

void runHid(const HidSettings& s, InputContext& ctx) {
  while (!ctx.stopping()) {
    const int fd = ::open(s.device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      ctx.problem(errnoText("cannot open HID scanner " + s.device));
      pauseFor(ctx.reconnect, ctx);
      continue;
    }
    if (s.grab && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
      ctx.problem(errnoText("cannot grab HID scanner " + s.device + " (another reader?)"));
      ::close(fd);
      pauseFor(ctx.reconnect, ctx);
      continue;
    }
    ctx.problem("");
    HidKeymap keys;
    std::string pending;  // partial input_event structs
    readDevice(fd, ctx, [&](const char* data, size_t n) {
      pending.append(data, n);
      size_t used = 0;
      while (pending.size() - used >= sizeof(input_event)) {
        input_event ev{};
        std::memcpy(&ev, pending.data() + used, sizeof ev);
        used += sizeof ev;
        if (ev.type != EV_KEY) continue;
        if (auto line = keys.feed(ev.code, ev.value)) ctx.code(*line, "scanner");
      }
      pending.erase(0, used);
    });
    ::close(fd);
    if (!ctx.stopping()) ctx.problem("HID scanner " + s.device + " went away; reopening");
  }
}

}  // namespace storegate::plugins::member_code
