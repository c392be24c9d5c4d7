#include "mapping.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <storegate/sdk.hpp>

namespace storegate::plugins::sensor_mqtt {

namespace {
using nlohmann::json;

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw sdk::Error(where + ": " + what, SG_ERR_INVALID);
}

std::optional<double> optNumber(const json& m, const char* key, const std::string& where) {
  const auto it = m.find(key);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) invalid(where + "." + key, "must be a number");
  return it->get<double>();
}

std::string optString(const json& m, const char* key, const std::string& where,
                      std::string fallback = {}) {
  const auto it = m.find(key);
  if (it == m.end() || it->is_null()) return fallback;
  if (!it->is_string()) invalid(where + "." + key, "must be a string");
  return it->get<std::string>();
}

// "500ms", "2s", "1m" or an integer of milliseconds.
std::chrono::milliseconds duration(const json& v, const std::string& where) {
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return std::chrono::milliseconds(v.get<int64_t>());
  if (!v.is_string()) invalid(where, "must be a duration such as \"500ms\" or \"2s\"");
  const std::string s = v.get<std::string>();
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string_view unit(end, static_cast<size_t>(s.data() + s.size() - end));
  if (ec != std::errc() || n < 0) invalid(where, "'" + s + "' is not a duration");
  if (unit == "ms" || unit.empty()) return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  invalid(where, "'" + s + "' is not a duration (units: ms, s, m)");
}

void checkFilter(const std::string& f, const std::string& where) {
  if (f.empty()) invalid(where, "must not be empty");
  for (size_t i = 0; i < f.size(); ++i) {
    const bool starts = i == 0 || f[i - 1] == '/';
    const bool ends = i + 1 == f.size() || f[i + 1] == '/';
    if (f[i] == '+' && !(starts && ends)) invalid(where, "'+' must stand alone in a level");
    if (f[i] == '#' && !(starts && i + 1 == f.size())) invalid(where, "'#' must be the last level");
  }
}
}  // namespace

std::vector<Mapping> parseMappings(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) invalid("mappings", "must be a list of mappings");
  if (doc.empty()) invalid("mappings", "must name at least one topic");
  std::vector<Mapping> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string where = "mappings[" + std::to_string(i) + "]";
    const json& m = doc[i];
    if (!m.is_object()) invalid(where, "must be a mapping");
    static const std::vector<std::string> kKnown = {
        "topic",       "sensor",      "value",      "unit",        "kind",      "emit_readings",
        "alert_above", "alert_below", "hysteresis", "item_weight", "tolerance", "settle"};
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end())
        invalid(where + "." + it.key(), "unknown field");
    }
    Mapping map;
    map.filter = optString(m, "topic", where);
    checkFilter(map.filter, where + ".topic");
    map.sensor = optString(m, "sensor", where, "{topic}");
    map.value_path = optString(m, "value", where);
    map.unit = optString(m, "unit", where);
    const std::string kind = optString(m, "kind", where, "reading");
    if (kind == "shelf") {
      map.kind = Mapping::Kind::kShelf;
      map.emit_readings = false;
    } else if (kind != "reading") {
      invalid(where + ".kind", "'" + kind + "' is not one of reading, shelf");
    }
    if (m.contains("emit_readings")) {
      if (!m["emit_readings"].is_boolean())
        invalid(where + ".emit_readings", "must be true or false");
      map.emit_readings = m["emit_readings"].get<bool>();
    }
    map.alert_above = optNumber(m, "alert_above", where);
    map.alert_below = optNumber(m, "alert_below", where);
    map.hysteresis = optNumber(m, "hysteresis", where).value_or(0);
    if (map.hysteresis < 0) invalid(where + ".hysteresis", "must not be negative");
    if (map.kind == Mapping::Kind::kShelf) {
      const auto w = optNumber(m, "item_weight", where);
      if (!w || *w <= 0)
        invalid(where + ".item_weight", "must be a positive number (grams per item)");
      map.item_weight = *w;
      map.tolerance = optNumber(m, "tolerance", where).value_or(0.4);
      if (map.tolerance <= 0 || map.tolerance >= 1)
        invalid(where + ".tolerance", "must be between 0 and 1 (a fraction of item_weight)");
    }
    if (m.contains("settle")) map.settle = duration(m["settle"], where + ".settle");
    out.push_back(std::move(map));
  }
  return out;
}

bool topicMatches(std::string_view filter, std::string_view topic,
                  std::vector<std::string>* levels) {
  if (levels != nullptr) levels->clear();
  size_t f = 0, t = 0;
  while (true) {
    const size_t fe = filter.find('/', f);
    const std::string_view fl = filter.substr(f, fe == std::string_view::npos ? fe : fe - f);
    if (fl == "#") return true;
    const size_t te = topic.find('/', t);
    const std::string_view tl = topic.substr(t, te == std::string_view::npos ? te : te - t);
    if (fl == "+") {
      if (levels != nullptr) levels->emplace_back(tl);
    } else if (fl != tl) {
      return false;
    }
    if (fe == std::string_view::npos || te == std::string_view::npos) {
      // "a/#" also matches "a"
      if (fe != std::string_view::npos && filter.substr(fe + 1) == "#") return true;
      return fe == std::string_view::npos && te == std::string_view::npos;
    }
    f = fe + 1;
    t = te + 1;
  }
}

std::string sensorName(const std::string& pattern, const std::vector<std::string>& levels,
                       std::string_view topic) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close != std::string::npos) {
        const std::string name = pattern.substr(i + 1, close - i - 1);
        if (name == "topic") {
          out += topic;
          i = close;
          continue;
        }
        if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
          const size_t n = std::stoul(name);
          if (n >= 1 && n <= levels.size()) out += levels[n - 1];
          i = close;
          continue;
        }
      }
    }
    out.push_back(pattern[i]);
  }
  return out;
}

std::optional<double> extractValue(std::string_view payload, const std::string& path,
                                   std::string& error) {
  if (sdk::jsonNesting(payload) > sdk::kMaxJsonDepth) {
    error = "payload nests deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels";
    return std::nullopt;
  }
  const json doc = json::parse(payload, nullptr, false);
  if (doc.is_discarded()) {
    error = "payload is not JSON (nor a bare number)";
    return std::nullopt;
  }
  const json* node = &doc;
  size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(key)) {
      error = "payload has no '" + path + "'";
      return std::nullopt;
    }
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_boolean()) return node->get<bool>() ? 1.0 : 0.0;
  if (!node->is_number()) {
    error = "'" + (path.empty() ? std::string("payload") : path) + "' is not a number";
    return std::nullopt;
  }
  return node->get<double>();
}

}  // namespace storegate::plugins::sensor_mqtt
