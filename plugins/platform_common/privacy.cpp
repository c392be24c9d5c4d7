#include "privacy.hpp"

#include <nlohmann/json.hpp>

namespace storegate::plugins::platform {

Pseudonymizer pseudonymizerFrom(const sdk::Config& config) {
  if (!config.getBool("privacy.pseudonymize")) return Pseudonymizer("", {});
  if (!config.isSet("privacy.hmac_key") || config.getString("privacy.hmac_key").size() < 16) {
    throw sdk::Error(
        "privacy.hmac_key must be set (at least 16 characters) while privacy.pseudonymize is "
        "true; set the brand's key, or privacy.pseudonymize: false to send member identifiers "
        "in clear",
        SG_ERR_INVALID);
  }
  std::vector<std::string> fields;
  const nlohmann::json list = nlohmann::json::parse(config.getJson("privacy.fields"));
  for (const auto& f : list) {
    if (!f.is_string())
      throw sdk::Error("privacy.fields: every entry must be a string", SG_ERR_INVALID);
    fields.push_back(f.get<std::string>());
  }
  return Pseudonymizer(config.getString("privacy.hmac_key"), std::move(fields));
}

}  // namespace storegate::plugins::platform
