// libFuzzer target: remote admin requests as they arrive over MQTT — any bytes. The parser
// must never throw, and what it accepts must satisfy what the runner relies on.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "admin/remote.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string id, error;
  const auto r = storegate::admin::parseRemoteRequest(in, id, error);
  if (!r) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  if (r->path.empty() || r->path.front() != '/') std::abort();
  if (r->method != "GET" && r->method != "POST" && r->method != "PUT" && r->method != "DELETE")
    std::abort();
  if (r->id.size() > storegate::admin::kRemoteIdMaxBytes) std::abort();
  return 0;
}
