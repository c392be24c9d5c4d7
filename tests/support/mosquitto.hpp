// A real Mosquitto broker for a test: its own config file, a free port on 127.0.0.1, started
// as a child process and always ended by PID. Optionally TLS with a test CA (see pki.hpp)
// and persistence, so a restart keeps the sessions of subscribers that were away.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/test_support.hpp"

namespace storegate::test {

struct BrokerTls {
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  bool require_client_certificate = false;
};

class MosquittoBroker {
 public:
  // Writes the config under `dir` and starts the broker; throws if it does not listen.
  explicit MosquittoBroker(std::filesystem::path dir, bool persistence = false,
                           const BrokerTls* tls = nullptr);
  ~MosquittoBroker();

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const;  // tcp://127.0.0.1:PORT or ssl://…
  // SIGTERM (a persistent broker saves its sessions) and wait for the process to end.
  void stop();
  // Starts again on the same port with the same config.
  void start();
  // SIGSTOP / SIGCONT: the broker keeps its sockets open but answers nothing — a link
  // that dies silently.
  void freeze();
  void thaw();
  [[nodiscard]] bool running() const { return process_ != nullptr; }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  bool tls_ = false;
  std::unique_ptr<Process> process_;
};

// Whether something accepts TCP connections on 127.0.0.1:port.
bool portAccepts(int port);

}  // namespace storegate::test
