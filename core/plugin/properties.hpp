// Config properties as plugins declare them, validation of an instance's config against
// them, and the validated, typed values handed to the plugin through the ABI.
#pragma once

#include <storegate/plugin.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config_error.hpp"

namespace storegate {

// A property declaration, copied out of the plugin's library so it outlives the library.
struct PropertySpec {
  std::string name;
  std::string description;
  std::string default_value;  // config text form; empty: no default
  sg_prop_type type = SG_PROP_UNSPECIFIED;
  sg_prop_flags flags = 0;
  double min = 0;
  double max = 0;
  std::vector<std::string> allowed;
  nlohmann::json schema;  // LIST/OBJECT: the plugin's JSON Schema of the value (ABI 1.2)

  [[nodiscard]] bool required() const { return (flags & SG_PROP_REQUIRED) != 0; }
  [[nodiscard]] bool secret() const { return (flags & SG_PROP_SECRET) != 0; }
  [[nodiscard]] bool reloadable() const { return (flags & SG_PROP_RELOADABLE) != 0; }
};

[[nodiscard]] const char* propertyTypeName(sg_prop_type type);

// One validated value.
struct PropertyValue {
  sg_prop_type type = SG_PROP_UNSPECIFIED;
  bool is_set = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string text;
  nlohmann::json json;  // the value as given or defaulted, for comparisons and display
};

// An instance's config after validation: every declared property, defaults applied.
class ResolvedConfig {
 public:
  ResolvedConfig() = default;
  ResolvedConfig(std::vector<std::string> names, std::vector<PropertyValue> values,
                 std::vector<bool> secret);

  // The ABI view; valid until the next call or until this object changes or dies.
  [[nodiscard]] const sg_config* view() const;
  // name -> value; secrets replaced by "***" when `mask_secrets`.
  [[nodiscard]] nlohmann::json toJson(bool mask_secrets) const;
  // The values of the set secret properties as they would appear in a config file (strings
  // unquoted), so a text that may hold them can be masked.
  [[nodiscard]] std::vector<std::string> secretTexts() const;
  // Names of properties whose values differ between the two configs.
  [[nodiscard]] std::vector<std::string> changedFrom(const ResolvedConfig& other) const;

 private:
  std::vector<std::string> names_;
  std::vector<PropertyValue> values_;
  std::vector<bool> secret_;
  mutable std::vector<sg_config_value> view_values_;
  mutable sg_config view_{};
};

// Validates `given` (the instance's `config` mapping) against `specs`. Every problem is
// appended to `errors` with a path below `path`; returns nullopt when there was any.
// Nested mappings address dotted names: {tls: {ca_file: x}} sets "tls.ca_file".
// Relative values of SG_PROP_PATH properties are resolved against `base_dir` when set.
[[nodiscard]] std::optional<ResolvedConfig> resolveConfig(
    const std::vector<PropertySpec>& specs, const nlohmann::json& given, const std::string& path,
    ConfigErrors& errors, const std::filesystem::path& base_dir = {});

// Checks a declaration itself (type known, default valid for the type, enum values);
// returns the problem or empty.
[[nodiscard]] std::string checkPropertySpec(const PropertySpec& spec);

// The properties as a JSON Schema (draft 2020-12) object, for the admin API and docs.
[[nodiscard]] nlohmann::json propertiesToJsonSchema(const std::vector<PropertySpec>& specs);

}  // namespace storegate
