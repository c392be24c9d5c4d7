// libFuzzer target: the YAML config loader with its limits on (a config arrives through
// POST /v1/config/validate, PUT /v1/config, SIGHUP and --check-config).
#include <cstdint>
#include <string>

#include "common/log.hpp"
#include "common/status.hpp"
#include "config/gateway_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  storegate::ConfigErrors errors;
  const auto cfg = storegate::parseConfig(text, "/etc/storegate", errors);
  // Every refusal names something; an accepted config has its required fields.
  if (!cfg && errors.empty()) __builtin_trap();
  if (cfg && cfg->store_id.empty()) __builtin_trap();
  for (const auto& e : errors) storegate::ignoreResult(e.text(), "must not throw");
  return 0;
}
