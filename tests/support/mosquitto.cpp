#include "support/mosquitto.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace storegate::test {

bool portAccepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

MosquittoBroker::MosquittoBroker(std::filesystem::path dir, bool persistence, const BrokerTls* tls)
    : dir_(std::move(dir)), port_(freeLoopbackPort()), tls_(tls != nullptr) {
  std::filesystem::create_directories(dir_);
  std::ofstream conf(dir_ / "mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "user root\n"
       << "max_queued_messages 0\n"  // a test subscriber away for a while loses nothing
       << "set_tcp_nodelay true\n"   // as cloud brokers run: see docs/plugins/platform_mqtt.md
       << "log_dest stdout\n";
  if (persistence) {
    conf << "persistence true\npersistence_location " << dir_.string() << "/\n"
         << "autosave_interval 1\n";
  } else {
    conf << "persistence false\n";
  }
  if (tls != nullptr) {
    conf << "cafile " << tls->ca_file.string() << "\ncertfile " << tls->cert_file.string()
         << "\nkeyfile " << tls->key_file.string() << "\n"
         << "require_certificate " << (tls->require_client_certificate ? "true" : "false") << "\n";
  }
  conf.close();
  start();
}

MosquittoBroker::~MosquittoBroker() {
  if (process_) process_->signal(SIGKILL);  // also ends a frozen broker
  process_.reset();
}

std::string MosquittoBroker::url() const {
  return std::string(tls_ ? "ssl" : "tcp") + "://127.0.0.1:" + std::to_string(port_);
}

void MosquittoBroker::start() {
  if (process_) return;
  process_ = std::make_unique<Process>("/usr/sbin/mosquitto",
                                       std::vector<std::string>{"-c", (dir_ / "mosquitto.conf")},
                                       dir_ / "mosquitto.log");
  if (!waitUntil([&] { return portAccepts(port_); }, std::chrono::seconds(10))) {
    throw std::runtime_error("mosquitto did not listen on port " + std::to_string(port_) + ": " +
                             process_->output());
  }
}

void MosquittoBroker::freeze() {
  if (process_) process_->signal(SIGSTOP);
}

void MosquittoBroker::thaw() {
  if (process_) process_->signal(SIGCONT);
}

void MosquittoBroker::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

}  // namespace storegate::test
