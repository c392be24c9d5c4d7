// A real Modbus TCP server for tests (libmodbus's server API) on 127.0.0.1, with registers
// the test sets, and a switch that makes it stop answering while keeping its sockets open.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

struct _modbus;
typedef struct _modbus modbus_t;
struct _modbus_mapping_t;

namespace storegate::test {

class ModbusTestServer {
 public:
  ModbusTestServer();  // throws std::runtime_error when it cannot listen
  ~ModbusTestServer();
  ModbusTestServer(const ModbusTestServer&) = delete;
  ModbusTestServer& operator=(const ModbusTestServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  void setHolding(int address, uint16_t value);
  void setInput(int address, uint16_t value);
  void setCoil(int address, bool on);
  // Silent: requests are read and never answered (a hung device, not a closed port).
  void setSilent(bool silent) { silent_ = silent; }
  [[nodiscard]] int answered() const { return answered_; }

 private:
  void run();

  int port_ = 0;
  modbus_t* ctx_ = nullptr;
  _modbus_mapping_t* map_ = nullptr;
  int listen_fd_ = -1;
  std::mutex mu_;  // the mapping
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

}  // namespace storegate::test
