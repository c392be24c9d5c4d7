// libFuzzer target: any request against the admin API's routing and every JSON handler,
// with each role, over a real Daemon on a memory buffer.
//
// Input: "<role byte><method>\n<path>[?query]\n<body>". Run by tests/fuzz/run.sh.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "admin/api.hpp"
#include "daemon/daemon.hpp"

namespace {
storegate::Daemon* g_daemon = nullptr;
storegate::admin::AdminApi* g_api = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/storegate-fuzz-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  storegate::GatewayConfig cfg;
  cfg.store_id = "fuzz";
  cfg.data_dir = dir / "data";
  cfg.buffer.backend = "memory";
  cfg.admin.enabled = false;  // the API is driven directly, without sockets
  cfg.source_file = dir / "storegate.yaml";
  std::ofstream(cfg.source_file) << "store_id: fuzz\ndata_dir: data\nbuffer: {backend: memory}\n";
  storegate::LogOptions quiet;
  quiet.console = false;
  storegate::ignoreResult(storegate::Logger::instance().configure(quiet),
                          "no log file: nothing can fail");
  g_daemon = new storegate::Daemon(cfg, {});
  if (!g_daemon->start().ok()) std::abort();
  g_api = new storegate::admin::AdminApi(*g_daemon);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t a = in.find('\n');
  const size_t b = a == std::string::npos ? std::string::npos : in.find('\n', a + 1);
  storegate::admin::ApiRequest req;
  req.method = in.substr(0, a);
  std::string target =
      a == std::string::npos ? "" : in.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  req.body = b == std::string::npos ? "" : in.substr(b + 1);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    const size_t eq = query.find('=');
    req.query[query.substr(0, eq)] = eq == std::string::npos ? "" : query.substr(eq + 1);
  }
  req.client = "fuzz";
  req.who.name = "fuzzer";
  req.who.role = static_cast<storegate::admin::Role>(data[0] % 4);
  storegate::ignoreResult(g_api->router().dispatch(req, data[0] % 5 != 4),
                          "the fuzzer looks for crashes and sanitizer reports, not answers");
  return 0;
}
