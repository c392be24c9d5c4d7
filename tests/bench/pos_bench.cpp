// Drives pos_file and pos_webhook through the real plugin host into the RocksDB buffer.
#include "pos_bench.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "plugin_bench.hpp"

namespace storegate::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A loopback port that was free a moment ago: bound, read back, closed (never listened on).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string jsonReceipt(uint64_t n) {
  return R"({"receipt_no":"R)" + std::to_string(n) +
         R"(","till":"1","time":"2026-11-23T12:00:00Z","items":[{"sku":"6901234567892","quantity":2,"unit_price":1.25}],"total":2.5,"payment":"card"})";
}

using Rig = PluginBench;

double webhookRun(const std::filesystem::path& dir, uint64_t receipts, size_t per_request,
                  bool& ok) {
  Rig rig(dir);
  const int port = freePort();
  InstanceSpec s;
  s.name = "push";
  s.plugin = "pos_webhook";
  s.path = "plugins[0]";
  s.config = {{"listen", "127.0.0.1:" + std::to_string(port)},
              {"secret", "bench-secret-0123456789"},
              {"max_body", "4MiB"},
              {"max_connections", 8},
              {"quarantine_dir", (dir / "q").string()}};
  if (!rig.plugins->add(s).ok()) {
    ok = false;
    return 0;
  }
  constexpr int kClients = 4;
  const uint64_t each = receipts / kClients;
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  std::atomic<bool> failed{false};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      const httplib::Headers auth = {{"Authorization", "Bearer bench-secret-0123456789"}};
      for (uint64_t i = 0; i < each; i += per_request) {
        std::string body = "[";
        for (size_t k = 0; k < per_request && i + k < each; ++k) {
          if (k > 0) body += ",";
          body += jsonReceipt(uint64_t(c) * each + i + k);
        }
        body += "]";
        auto res = cli.Post("/v1/receipts", auth, body, "application/json");
        if (!res || res->status != 200) {
          if (!failed.exchange(true)) {
            std::fprintf(stderr, "storegate-bench: POST %llu failed: %s\n",
                         static_cast<unsigned long long>(i),
                         res ? (std::to_string(res->status) + " " + res->body).c_str()
                             : httplib::to_string(res.error()).c_str());
          }
          return;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const double rate =
      double(each * kClients) / std::chrono::duration<double>(Clock::now() - start).count();
  ok = ok && !failed && rig.waitFor(each * kClients);
  return rate;
}

}  // namespace

PosResult posRun(const std::filesystem::path& dir, uint64_t receipts) {
  PosResult r;
  if (!std::filesystem::exists(std::filesystem::path(STOREGATE_BUNDLED_PLUGIN_DIR) / "pos_file.so"))
    return r;
  bool ok = true;
  {
    const auto d = dir / "posfile";
    std::filesystem::create_directories(d / "drop");
    Rig rig(d);
    {
      std::ofstream csv(d / "drop" / "export.csv.part");
      csv << "receipt_no,till,time,sku,quantity,unit_price,total\n";
      for (uint64_t i = 0; i < receipts; ++i) {
        csv << "R" << i << ",1,2026-11-23T12:00:00Z,6901234567892,2,1.25,2.5\n";
      }
    }
    InstanceSpec s;
    s.name = "files";
    s.plugin = "pos_file";
    s.path = "plugins[0]";
    s.config = {{"dir", (d / "drop").string()},
                {"poll_interval", "10ms"},
                {"settle_time", "0s"},
                {"batch", 1000}};
    if (!rig.plugins->add(s).ok()) return r;
    const auto start = Clock::now();
    std::filesystem::rename(d / "drop" / "export.csv.part", d / "drop" / "export.csv");  // moved in
    ok = rig.waitFor(receipts);
    r.file_rps = double(receipts) / std::chrono::duration<double>(Clock::now() - start).count();
  }
  r.webhook_rps = webhookRun(dir / "hook1", receipts / 10, 1, ok);
  r.webhook_batch_rps = webhookRun(dir / "hook100", receipts, 100, ok);
  r.complete = ok;
  std::filesystem::remove_all(dir / "posfile");
  std::filesystem::remove_all(dir / "hook1");
  std::filesystem::remove_all(dir / "hook100");
  return r;
}

}  // namespace storegate::bench
