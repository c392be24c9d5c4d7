// Test helpers: temp dirs, files, bounded waits and child processes.
#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace storegate::test {

std::filesystem::path pluginDir() {
  return STOREGATE_TEST_PLUGIN_DIR;
}
std::filesystem::path fixtureDir() {
  return STOREGATE_TEST_FIXTURE_DIR;
}
std::filesystem::path sourceDir() {
  return STOREGATE_TEST_SOURCE_DIR;
}
std::filesystem::path storegatedPath() {
  return STOREGATED_PATH;
}

std::filesystem::path storegatectlPath() {
  return STOREGATECTL_PATH;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "storegate-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::vector<std::string> readLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

Process::Process(const std::filesystem::path& program, const std::vector<std::string>& args,
                 const std::filesystem::path& output_file, const std::vector<std::string>& env)
    : output_file_(output_file) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program.string());
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    // The test runner may block signals; the daemon must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const std::string& kv : env) {
      const auto eq = kv.find('=');
      setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

void Process::signal(int sig) const {
  if (!reaped_) ::kill(pid_, sig);
}

bool Process::running() {
  if (reaped_) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

int Process::wait(std::chrono::milliseconds timeout) {
  if (!waitUntil([this] { return !running(); }, timeout)) return kTimedOut;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return kTimedOut;
}

std::string Process::output() const {
  return readFile(output_file_);
}

std::pair<int, std::string> runProgram(const std::filesystem::path& program,
                                       const std::vector<std::string>& args,
                                       std::chrono::milliseconds timeout) {
  std::random_device rd;
  const auto out =
      std::filesystem::temp_directory_path() /
      ("storegate-run-" + std::to_string(getpid()) + "-" + std::to_string(rd()) + ".log");
  int code = 0;
  std::string output;
  {
    Process p(program, args, out);
    code = p.wait(timeout);
    output = p.output();
  }
  std::error_code ec;
  std::filesystem::remove(out, ec);
  return {code, output};
}

NotifySocket::NotifySocket(const std::filesystem::path& path) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) throw std::runtime_error("path too long");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("bind " + path.string() + ": " + std::strerror(errno));
  timeval tv{0, 100'000};  // receive waits are short so deadlines hold
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool NotifySocket::receiveUntil(const std::string& want, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) continue;
    received.emplace_back(buf, static_cast<size_t>(n));
    if (received.back().find(want) != std::string::npos) return true;
  }
  return false;
}

int NotifySocket::countFor(const std::string& want, std::chrono::milliseconds window) {
  const auto end = std::chrono::steady_clock::now() + window;
  int seen = 0;
  for (auto left = window; left.count() > 0;
       left = std::chrono::duration_cast<std::chrono::milliseconds>(
           end - std::chrono::steady_clock::now())) {
    if (receiveUntil(want, left)) ++seen;
  }
  return seen;
}

int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

}  // namespace storegate::test
