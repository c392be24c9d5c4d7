// Helpers for tests: temporary directories, paths of built artifacts, waiting on a
// condition with a deadline, and child processes that are always ended by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

// Asserts that a storegate::Status is ok, printing its message when it is not.
#define ASSERT_OK(expr)                   \
  do {                                    \
    const auto st_ = (expr);              \
    ASSERT_TRUE(st_.ok()) << st_.message; \
  } while (0)

namespace storegate::test {

std::filesystem::path pluginDir();   // bundled plugins of this build
std::filesystem::path fixtureDir();  // deliberately broken or test-only plugins
std::filesystem::path sourceDir();
std::filesystem::path storegatedPath();
std::filesystem::path storegatectlPath();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& text);
std::vector<std::string> readLines(const std::filesystem::path& path);

// A child process with stdout and stderr captured to a file. The destructor SIGKILLs it
// (by PID) if it still runs, so no test leaves a process behind.
class Process {
 public:
  // `env` entries ("NAME=value") are added to the child's environment.
  Process(const std::filesystem::path& program, const std::vector<std::string>& args,
          const std::filesystem::path& output_file, const std::vector<std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Exit code, or -signal when killed by one; nullopt-like -1000 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  [[nodiscard]] bool running();
  [[nodiscard]] std::string output() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path output_file_;
};

// Runs a program to completion (bounded) and returns {exit code, output}.
std::pair<int, std::string> runProgram(
    const std::filesystem::path& program, const std::vector<std::string>& args,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

constexpr int kTimedOut = -1000;

// systemd's side of the notify protocol: a datagram socket bound at `path`, for a child
// started with NOTIFY_SOCKET=path. Closed by the destructor.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  // Receives until a message containing `want` arrives (true) or `limit` passes (false).
  bool receiveUntil(const std::string& want, std::chrono::milliseconds limit);
  // How many messages containing `want` arrive within `window`.
  int countFor(const std::string& want, std::chrono::milliseconds window);
  std::vector<std::string> received;  // every message so far, in order

 private:
  int fd_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound, read, released).
int freeLoopbackPort();

}  // namespace storegate::test
