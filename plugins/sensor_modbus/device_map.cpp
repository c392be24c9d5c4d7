#include "device_map.hpp"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <storegate/sdk.hpp>

namespace storegate::plugins::sensor_modbus {

namespace {
using nlohmann::json;

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw sdk::Error(where + ": " + what, SG_ERR_INVALID);
}

void onlyKnown(const json& obj, const std::string& where, const std::set<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (known.count(it.key()) == 0) invalid(where + "." + it.key(), "unknown field");
}

std::string needString(const json& o, const char* key, const std::string& where) {
  if (!o.contains(key) || !o[key].is_string() || o[key].get_ref<const std::string&>().empty())
    invalid(where + "." + key, "required, a non-empty string");
  return o[key].get<std::string>();
}

int intIn(const json& o, const char* key, const std::string& where, int fallback, int lo, int hi) {
  if (!o.contains(key)) return fallback;
  if (!o[key].is_number_integer() || o[key].get<int64_t>() < lo || o[key].get<int64_t>() > hi)
    invalid(where + "." + key, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return o[key].get<int>();
}

std::chrono::milliseconds durationOf(const json& o, const char* key, const std::string& where,
                                     std::chrono::milliseconds fallback) {
  if (!o.contains(key)) return fallback;
  const json& v = o[key];
  if (v.is_number_integer() && v.get<int64_t>() > 0) return std::chrono::milliseconds(v.get<int64_t>());
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string_view unit(end, static_cast<size_t>(s.data() + s.size() - end));
  if (ec == std::errc() && n > 0) {
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "s") return std::chrono::seconds(n);
    if (unit == "m") return std::chrono::minutes(n);
  }
  invalid(where + "." + key, "must be a duration such as \"500ms\", \"2s\" or \"1m\"");
}

double number(const json& o, const char* key, const std::string& where, double fallback) {
  if (!o.contains(key)) return fallback;
  if (!o[key].is_number()) invalid(where + "." + key, "must be a number");
  return o[key].get<double>();
}

RegisterSpec parseRegister(const json& r, const std::string& where) {
  if (!r.is_object()) invalid(where, "must be a mapping");
  onlyKnown(r, where, {"name", "address", "type", "format", "word_order", "scale", "offset", "unit"});
  RegisterSpec s;
  s.name = needString(r, "name", where);
  if (!r.contains("address")) invalid(where + ".address", "required, an integer in 0..65535");
  s.address = intIn(r, "address", where, 0, 0, 65535);
  const std::string type = r.value("type", "holding");
  if (type == "holding") s.type = RegisterSpec::Type::kHolding;
  else if (type == "input") s.type = RegisterSpec::Type::kInput;
  else if (type == "coil") s.type = RegisterSpec::Type::kCoil;
  else if (type == "discrete") s.type = RegisterSpec::Type::kDiscrete;
  else invalid(where + ".type", "'" + type + "' is not one of holding, input, coil, discrete");
  const std::string format = r.value("format", "u16");
  if (format == "u16") s.format = RegisterSpec::Format::kU16;
  else if (format == "s16") s.format = RegisterSpec::Format::kS16;
  else if (format == "u32") s.format = RegisterSpec::Format::kU32;
  else if (format == "s32") s.format = RegisterSpec::Format::kS32;
  else if (format == "f32") s.format = RegisterSpec::Format::kF32;
  else invalid(where + ".format", "'" + format + "' is not one of u16, s16, u32, s32, f32");
  const std::string order = r.value("word_order", "big");
  if (order != "big" && order != "little")
    invalid(where + ".word_order", "'" + order + "' is not one of big, little");
  s.word_swap = order == "little";
  s.scale = number(r, "scale", where, 1);
  s.offset = number(r, "offset", where, 0);
  s.unit = r.value("unit", "");
  return s;
}
}  // namespace

double RegisterSpec::decode(const uint16_t* w) const {
  if (type == Type::kCoil || type == Type::kDiscrete) return (w[0] != 0 ? 1.0 : 0.0) * scale + offset;
  const uint32_t hi = word_swap ? w[1] : w[0];
  const uint32_t lo = word_swap ? w[0] : w[1];
  double raw = 0;
  switch (format) {
    case Format::kU16:
      raw = w[0];
      break;
    case Format::kS16:
      raw = static_cast<int16_t>(w[0]);
      break;
    case Format::kU32:
      raw = (hi << 16) | lo;
      break;
    case Format::kS32:
      raw = static_cast<int32_t>((hi << 16) | lo);
      break;
    case Format::kF32: {
      const uint32_t bits = (hi << 16) | lo;
      float f = 0;
      std::memcpy(&f, &bits, sizeof f);
      raw = f;
      break;
    }
  }
  return raw * scale + offset;
}

std::vector<DeviceSpec> parseDevices(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty())
    invalid("devices", "must be a list of at least one device");
  std::vector<DeviceSpec> out;
  std::set<std::string> names;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string where = "devices[" + std::to_string(i) + "]";
    const json& d = doc[i];
    if (!d.is_object()) invalid(where, "must be a mapping");
    onlyKnown(d, where, {"name", "host", "port", "unit_id", "interval", "timeout", "registers"});
    DeviceSpec dev;
    dev.name = needString(d, "name", where);
    if (!names.insert(dev.name).second) invalid(where + ".name", "'" + dev.name + "' is used twice");
    dev.host = needString(d, "host", where);
    dev.port = intIn(d, "port", where, 502, 1, 65535);
    dev.unit_id = intIn(d, "unit_id", where, 1, 0, 255);
    dev.interval = durationOf(d, "interval", where, std::chrono::seconds(1));
    dev.timeout = durationOf(d, "timeout", where, std::chrono::milliseconds(500));
    if (!d.contains("registers") || !d["registers"].is_array() || d["registers"].empty())
      invalid(where + ".registers", "required, a list of at least one register");
    for (size_t r = 0; r < d["registers"].size(); ++r)
      dev.registers.push_back(
          parseRegister(d["registers"][r], where + ".registers[" + std::to_string(r) + "]"));
    out.push_back(std::move(dev));
  }
  return out;
}

}  // namespace storegate::plugins::sensor_modbus
