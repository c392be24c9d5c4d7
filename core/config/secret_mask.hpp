// Masks secrets in a config file's text before it leaves the daemon (GET /v1/config), keeping
// its comments and layout.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storegate {

// Returns `yaml` with (1) every occurrence of each of `known` (the secret values the running
// plugins declared; values shorter than 4 characters are left, they would mask unrelated
// text) and (2) the value of every key whose name ends in secret, token, password, passwd,
// hmac_key, api_key or private_key (block or flow style, quoted or not) replaced by "***".
// Values that are references (`${…}`) and empty values are kept. Never throws on any input.
[[nodiscard]] std::string maskSecrets(std::string_view yaml, const std::vector<std::string>& known);

}  // namespace storegate
