#include "support/modbus_server.hpp"

#include <modbus.h>
#include <sys/select.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "support/test_support.hpp"

namespace storegate::test {

ModbusTestServer::ModbusTestServer() : port_(freeLoopbackPort()) {
  ctx_ = modbus_new_tcp("127.0.0.1", port_);
  map_ = modbus_mapping_new(64, 64, 64, 64);
  if (ctx_ == nullptr || map_ == nullptr) throw std::runtime_error("cannot create Modbus server");
  listen_fd_ = modbus_tcp_listen(ctx_, 8);
  if (listen_fd_ < 0)
    throw std::runtime_error("Modbus server cannot listen on port " + std::to_string(port_));
  thread_ = std::thread([this] { run(); });
}

ModbusTestServer::~ModbusTestServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
  modbus_mapping_free(map_);
  modbus_free(ctx_);
}

void ModbusTestServer::setHolding(int address, uint16_t value) {
  std::lock_guard lock(mu_);
  map_->tab_registers[address] = value;
}

void ModbusTestServer::setInput(int address, uint16_t value) {
  std::lock_guard lock(mu_);
  map_->tab_input_registers[address] = value;
}

void ModbusTestServer::setCoil(int address, bool on) {
  std::lock_guard lock(mu_);
  map_->tab_bits[address] = on ? 1 : 0;
}

void ModbusTestServer::run() {
  std::vector<int> clients;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  while (!stop_) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(listen_fd_, &fds);
    int top = listen_fd_;
    for (int fd : clients) {
      FD_SET(fd, &fds);
      top = std::max(top, fd);
    }
    timeval tv{0, 50'000};  // bounded, so that stop_ is seen
    if (::select(top + 1, &fds, nullptr, nullptr, &tv) <= 0) continue;
    if (FD_ISSET(listen_fd_, &fds)) {
      int listener = listen_fd_;
      const int fd = modbus_tcp_accept(ctx_, &listener);
      if (fd >= 0) clients.push_back(fd);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!FD_ISSET(*it, &fds)) {
        ++it;
        continue;
      }
      modbus_set_socket(ctx_, *it);
      const int rc = modbus_receive(ctx_, query);
      if (rc == -1) {
        ::close(*it);
        it = clients.erase(it);
        continue;
      }
      if (rc > 0 && !silent_) {
        std::lock_guard lock(mu_);
        modbus_reply(ctx_, query, rc, map_);
        ++answered_;
      }
      ++it;
    }
  }
  for (int fd : clients) ::close(fd);
}

}  // namespace storegate::test
