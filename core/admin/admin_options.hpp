// The admin API's listener and its bounds (the `admin:` section of the config).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace storegate {

struct AdminOptions {
  bool enabled = true;
  std::string listen = "127.0.0.1:8470";  // loopback unless configured
  std::filesystem::path tokens_file;      // default <data_dir>/admin-tokens (0600)
  std::filesystem::path audit_file;       // default <data_dir>/audit.log
  uint64_t max_body = 1 << 20;
  uint64_t max_upload = 64 << 20;  // a plugin build sent to POST …/upload
  int threads = 4;
  int queue = 64;  // queued connections cost a descriptor each; shed when they only wait
  std::chrono::milliseconds timeout{10'000};  // one read or write, and idle keep-alive
  // The whole request head; bodies and answers get this plus their size at 16 KiB/s.
  std::chrono::milliseconds request_timeout{10'000};
  int max_connections_per_address = 0;  // 0: `threads`
  double rate_per_second = 20;          // per client address
  int burst = 40;
  std::filesystem::path tls_cert;  // both set: HTTPS
  std::filesystem::path tls_key;
  std::filesystem::path tls_client_ca;  // set: client certificates required
  // /v1/health says `degraded` when a sink has had events waiting this long without a
  // delivery (the uplink is down, or the sink refuses everything). 0 turns the check off.
  std::chrono::milliseconds health_max_undelivered{15 * 60 * 1000};
};

}  // namespace storegate
