// Validation of instance configs against declared properties.
#include "plugin/properties.hpp"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "common/time.hpp"

namespace storegate {

const char* propertyTypeName(sg_prop_type type) {
  switch (type) {
    case SG_PROP_STRING:
      return "string";
    case SG_PROP_INT:
      return "int";
    case SG_PROP_DOUBLE:
      return "double";
    case SG_PROP_BOOL:
      return "bool";
    case SG_PROP_DURATION:
      return "duration";
    case SG_PROP_SIZE:
      return "size";
    case SG_PROP_ENUM:
      return "enum";
    case SG_PROP_LIST:
      return "list";
    case SG_PROP_OBJECT:
      return "object";
    default:
      return "unknown";
  }
}

namespace {

std::string formatNumber(double v) {
  std::ostringstream s;
  if (v == std::floor(v) && std::fabs(v) < 1e18) {
    s << static_cast<int64_t>(v);  // 3600000, not 3.6e+06
  } else {
    s << v;
  }
  return s.str();
}

std::string rangeText(const PropertySpec& spec) {
  const bool lo = (spec.flags & SG_PROP_HAS_MIN) != 0;
  const bool hi = (spec.flags & SG_PROP_HAS_MAX) != 0;
  if (lo && hi) return "is not in " + formatNumber(spec.min) + ".." + formatNumber(spec.max);
  if (lo) return "is below the minimum " + formatNumber(spec.min);
  return "is above the maximum " + formatNumber(spec.max);
}

bool inRange(const PropertySpec& spec, double v) {
  if ((spec.flags & SG_PROP_HAS_MIN) != 0 && v < spec.min) return false;
  if ((spec.flags & SG_PROP_HAS_MAX) != 0 && v > spec.max) return false;
  return true;
}

std::string shown(const PropertySpec& spec, const nlohmann::json& v) {
  return spec.secret() ? std::string("(secret value)")
                       : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Converts a JSON value into a typed PropertyValue, or returns what is wrong.
std::string resolveValue(const PropertySpec& spec, const nlohmann::json& v, PropertyValue& out) {
  out.type = spec.type;
  out.is_set = true;
  out.json = v;
  switch (spec.type) {
    case SG_PROP_STRING:
      if (!v.is_string()) {
        return "must be a string, got " + shown(spec, v) +
               (v.is_number() || v.is_boolean() ? " (quote it)" : "");
      }
      out.text = v.get<std::string>();
      return {};
    case SG_PROP_INT: {
      if (!v.is_number_integer()) return "must be an integer, got " + shown(spec, v);
      out.int_value = v.get<int64_t>();
      out.double_value = static_cast<double>(out.int_value);
      if (!inRange(spec, out.double_value)) return shown(spec, v) + " " + rangeText(spec);
      return {};
    }
    case SG_PROP_DOUBLE:
      if (!v.is_number()) return "must be a number, got " + shown(spec, v);
      out.double_value = v.get<double>();
      if (!std::isfinite(out.double_value)) return "must be a finite number";
      if (!inRange(spec, out.double_value)) return shown(spec, v) + " " + rangeText(spec);
      return {};
    case SG_PROP_BOOL:
      if (!v.is_boolean()) return "must be true or false, got " + shown(spec, v);
      out.int_value = v.get<bool>() ? 1 : 0;
      return {};
    case SG_PROP_DURATION: {
      std::optional<std::chrono::milliseconds> d;
      if (v.is_number_unsigned())
        d = std::chrono::milliseconds(v.get<int64_t>());
      else if (v.is_string())
        d = parseDuration(v.get<std::string>());
      if (!d) return "must be a duration like 250ms, 5s, 2m or 1h, got " + shown(spec, v);
      out.int_value = d->count();
      out.double_value = static_cast<double>(out.int_value);
      if (!inRange(spec, out.double_value)) {
        return shown(spec, v) + " (" + std::to_string(out.int_value) + " ms) " + rangeText(spec) +
               " ms";
      }
      return {};
    }
    case SG_PROP_SIZE: {
      std::optional<uint64_t> s;
      if (v.is_number_unsigned())
        s = v.get<uint64_t>();
      else if (v.is_string())
        s = parseSize(v.get<std::string>());
      if (!s || *s > static_cast<uint64_t>(INT64_MAX)) {
        return "must be a size like 512, 64KiB, 8MiB or 1GiB, got " + shown(spec, v);
      }
      out.int_value = static_cast<int64_t>(*s);
      out.double_value = static_cast<double>(*s);
      if (!inRange(spec, out.double_value)) {
        return shown(spec, v) + " (" + std::to_string(*s) + " bytes) " + rangeText(spec) + " bytes";
      }
      return {};
    }
    case SG_PROP_ENUM: {
      if (!v.is_string()) return "must be a string, got " + shown(spec, v);
      out.text = v.get<std::string>();
      for (const std::string& a : spec.allowed) {
        if (a == out.text) return {};
      }
      std::string list;
      for (const std::string& a : spec.allowed) list += (list.empty() ? "" : ", ") + a;
      return "'" + out.text + "' is not one of: " + list;
    }
    case SG_PROP_LIST:
      if (!v.is_array()) return "must be a list, got " + shown(spec, v);
      out.text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return {};
    case SG_PROP_OBJECT:
      if (!v.is_object()) return "must be a mapping, got " + shown(spec, v);
      out.text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return {};
    default:
      return "has an unknown type " + std::to_string(spec.type);
  }
}

// The default's text as JSON of the shape resolveValue expects.
std::optional<nlohmann::json> defaultAsJson(const PropertySpec& spec) {
  switch (spec.type) {
    case SG_PROP_STRING:
    case SG_PROP_ENUM:
    case SG_PROP_DURATION:
    case SG_PROP_SIZE:
      return nlohmann::json(spec.default_value);
    default: {
      nlohmann::json j = nlohmann::json::parse(spec.default_value, nullptr, false);
      if (j.is_discarded()) return std::nullopt;
      return j;
    }
  }
}

// Walks `given`, mapping each leaf to a declared property name (dotted for nesting).
void collect(const std::map<std::string, const PropertySpec*>& by_name, const nlohmann::json& obj,
             const std::string& prefix, const std::string& path,
             std::map<std::string, nlohmann::json>& found, ConfigErrors& errors) {
  for (const auto& [key, value] : obj.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (by_name.count(name) != 0) {
      found[name] = value;
      continue;
    }
    bool is_group = false;
    for (const auto& [n, spec] : by_name) {
      if (n.size() > name.size() && n.compare(0, name.size(), name) == 0 && n[name.size()] == '.') {
        is_group = true;
        break;
      }
    }
    if (is_group && value.is_object()) {
      collect(by_name, value, name, path + "." + key, found, errors);
      continue;
    }
    std::string known;
    for (const auto& [n, spec] : by_name) known += (known.empty() ? "" : ", ") + n;
    errors.push_back({path + "." + key, "unknown property (this plugin accepts: " +
                                            (known.empty() ? std::string("none") : known) + ")"});
  }
}

}  // namespace

std::string checkPropertySpec(const PropertySpec& spec) {
  if (spec.name.empty()) return "a property has no name";
  if (std::string(propertyTypeName(spec.type)) == "unknown") {
    return "property '" + spec.name + "' has unknown type " + std::to_string(spec.type);
  }
  if (spec.type == SG_PROP_ENUM && spec.allowed.empty()) {
    return "enum property '" + spec.name + "' declares no allowed values";
  }
  if (!spec.default_value.empty()) {
    const auto j = defaultAsJson(spec);
    PropertyValue ignored;
    const std::string why = j ? resolveValue(spec, *j, ignored) : "is not valid JSON";
    if (!why.empty()) {
      return "property '" + spec.name + "' default '" + spec.default_value + "' " + why;
    }
  }
  return {};
}

ResolvedConfig::ResolvedConfig(std::vector<std::string> names, std::vector<PropertyValue> values,
                               std::vector<bool> secret)
    : names_(std::move(names)), values_(std::move(values)), secret_(std::move(secret)) {}

const sg_config* ResolvedConfig::view() const {
  view_values_.clear();
  view_values_.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    const PropertyValue& v = values_[i];
    sg_config_value c{};
    c.struct_size = sizeof(sg_config_value);
    c.type = v.type;
    c.name = sg_str{names_[i].data(), names_[i].size()};
    c.int_value = v.int_value;
    c.double_value = v.double_value;
    c.text = sg_str{v.text.data(), v.text.size()};
    c.is_set = v.is_set ? 1 : 0;
    view_values_.push_back(c);
  }
  view_ = sg_config{sizeof(sg_config), 0, view_values_.data(), view_values_.size()};
  return &view_;
}

nlohmann::json ResolvedConfig::toJson(bool mask_secrets) const {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!values_[i].is_set) continue;
    out[names_[i]] = (mask_secrets && secret_[i]) ? nlohmann::json("***") : values_[i].json;
  }
  return out;
}

std::vector<std::string> ResolvedConfig::secretTexts() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!values_[i].is_set || !secret_[i]) continue;
    const nlohmann::json& v = values_[i].json;
    out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::vector<std::string> ResolvedConfig::changedFrom(const ResolvedConfig& other) const {
  const nlohmann::json a = toJson(false);
  const nlohmann::json b = other.toJson(false);
  std::set<std::string> names;
  for (const auto& [k, v] : a.items()) names.insert(k);
  for (const auto& [k, v] : b.items()) names.insert(k);
  std::vector<std::string> changed;
  for (const std::string& n : names) {
    if (!a.contains(n) || !b.contains(n) || a[n] != b[n]) changed.push_back(n);
  }
  return changed;
}

std::optional<ResolvedConfig> resolveConfig(const std::vector<PropertySpec>& specs,
                                            const nlohmann::json& given, const std::string& path,
                                            ConfigErrors& errors,
                                            const std::filesystem::path& base_dir) {
  const size_t errors_before = errors.size();
  std::map<std::string, const PropertySpec*> by_name;
  for (const PropertySpec& s : specs) by_name[s.name] = &s;

  std::map<std::string, nlohmann::json> found;
  if (given.is_null()) {
    // no config block: defaults only
  } else if (!given.is_object()) {
    errors.push_back({path, "must be a mapping of property: value"});
  } else {
    collect(by_name, given, "", path, found, errors);
  }

  std::vector<std::string> names;
  std::vector<PropertyValue> values;
  std::vector<bool> secret;
  for (const PropertySpec& spec : specs) {
    PropertyValue value;
    value.type = spec.type;
    const auto it = found.find(spec.name);
    std::string why;
    if (it != found.end() && !it->second.is_null()) {
      why = resolveValue(spec, it->second, value);
    } else if (!spec.default_value.empty()) {
      const auto j = defaultAsJson(spec);
      why = j ? resolveValue(spec, *j, value) : "has an invalid default";
    } else if (spec.required()) {
      why = "is required (" + std::string(propertyTypeName(spec.type)) + ": " + spec.description +
            ")";
    }
    if (!why.empty()) errors.push_back({path + "." + spec.name, why});
    if (why.empty() && (spec.flags & SG_PROP_PATH) != 0 && !value.text.empty() &&
        !base_dir.empty() && std::filesystem::path(value.text).is_relative()) {
      value.text = (base_dir / value.text).lexically_normal().string();
      value.json = value.text;
    }
    names.push_back(spec.name);
    values.push_back(std::move(value));
    secret.push_back(spec.secret());
  }
  if (errors.size() != errors_before) return std::nullopt;
  return ResolvedConfig(std::move(names), std::move(values), std::move(secret));
}

nlohmann::json propertiesToJsonSchema(const std::vector<PropertySpec>& specs) {
  nlohmann::json props = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();
  for (const PropertySpec& s : specs) {
    nlohmann::json p;
    switch (s.type) {
      case SG_PROP_STRING:
        p["type"] = "string";
        break;
      case SG_PROP_INT:
        p["type"] = "integer";
        break;
      case SG_PROP_DOUBLE:
        p["type"] = "number";
        break;
      case SG_PROP_BOOL:
        p["type"] = "boolean";
        break;
      case SG_PROP_DURATION:
        p["type"] = nlohmann::json::array({"string", "integer"});
        p["format"] = "duration";
        break;
      case SG_PROP_SIZE:
        p["type"] = nlohmann::json::array({"string", "integer"});
        p["format"] = "size";
        break;
      case SG_PROP_ENUM:
        p["type"] = "string";
        p["enum"] = s.allowed;
        break;
      case SG_PROP_LIST:
      case SG_PROP_OBJECT:
        // The plugin's own schema of the value when it has one, else the bare type.
        if (s.schema.is_object()) p = s.schema;
        p["type"] = s.type == SG_PROP_LIST ? "array" : "object";
        break;
      default:
        break;
    }
    p["description"] = s.description;
    if (s.type == SG_PROP_INT || s.type == SG_PROP_DOUBLE) {
      if ((s.flags & SG_PROP_HAS_MIN) != 0) p["minimum"] = s.min;
      if ((s.flags & SG_PROP_HAS_MAX) != 0) p["maximum"] = s.max;
    }
    if (!s.default_value.empty()) {
      if (const auto d = defaultAsJson(s)) p["default"] = *d;
    }
    if (s.secret()) p["writeOnly"] = true;
    p["x-storegate-reloadable"] = s.reloadable();
    props[s.name] = p;
    if (s.required()) required.push_back(s.name);
  }
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"type", "object"},
          {"additionalProperties", false},
          {"properties", props},
          {"required", required}};
}

}  // namespace storegate
