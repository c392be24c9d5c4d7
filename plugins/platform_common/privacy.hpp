// The privacy options both uplinks declare, and the Pseudonymizer they configure.
#pragma once

#include <storegate/sdk.hpp>

#include "pseudonymizer.hpp"

namespace storegate::plugins::platform {

inline constexpr sg_property kPseudonymizeProperty =
    sdk::Property::Bool("privacy.pseudonymize",
                        "Replace member identifiers by HMAC-SHA256 pseudonyms before they leave "
                        "the store")
        .defaultValue("true");
inline constexpr sg_property kHmacKeyProperty =
    sdk::Property::String("privacy.hmac_key",
                          "The brand's pseudonymization key (required while pseudonymize is on)")
        .secret();
inline constexpr sg_property kPrivacyFieldsProperty =
    sdk::Property::List("privacy.fields",
                        "JSON member names in event data that hold member identifiers")
        .defaultValue(R"(["member_code", "member_id"])");

// Throws sdk::Error (SG_ERR_INVALID) when pseudonymization is on without a key.
[[nodiscard]] Pseudonymizer pseudonymizerFrom(const sdk::Config& config);

}  // namespace storegate::plugins::platform
