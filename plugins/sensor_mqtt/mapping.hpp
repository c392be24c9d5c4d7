// How sensor_mqtt turns a local MQTT message into readings: a list of mappings, each an
// MQTT topic filter, the sensor's id (from topic levels), where the value is in the
// payload, and what to derive from it (threshold alerts, shelf pick-ups).
//
//   mappings:
//     - topic: "sensors/door/+/beam"   # MQTT filter; {1} is the first '+' level
//       sensor: "door-{1}"
//       value: "state"                 # dotted path into a JSON payload; "" = the payload
//       unit: ""
//       alert_above: 0.5               # store.sensor.alert raised above, cleared below
//       hysteresis: 0.1                #   alert_above - hysteresis (and alert_below + h)
//     - topic: "sensors/shelf/+/weight"
//       sensor: "shelf-{1}"
//       value: "grams"
//       kind: shelf                    # weights → store.shelf.pickup / putback
//       item_weight: 250               # grams per item
//       settle: 500ms                  # a new weight must hold this long
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storegate::plugins::sensor_mqtt {

struct Mapping {
  enum class Kind { kReading, kShelf };
  std::string filter;
  std::string sensor = "{topic}";
  std::string value_path;
  std::string unit;
  Kind kind = Kind::kReading;
  bool emit_readings = true;
  std::optional<double> alert_above;
  std::optional<double> alert_below;
  double hysteresis = 0;
  double item_weight = 0;
  double tolerance = 0.4;  // of item_weight: smaller changes are noise
  std::chrono::milliseconds settle{500};
};

// Parses the `mappings` property (JSON text of a list). Throws sdk::Error (SG_ERR_INVALID)
// naming the entry and field, e.g. "mappings[1].item_weight: must be a positive number".
[[nodiscard]] std::vector<Mapping> parseMappings(std::string_view json);

// MQTT filter matching ('+' one level, '#' the rest); `levels` receives what each '+'
// matched, in order.
[[nodiscard]] bool topicMatches(std::string_view filter, std::string_view topic,
                                std::vector<std::string>* levels = nullptr);

// "door-{1}" with levels {"3"} → "door-3"; "{topic}" is the whole topic.
[[nodiscard]] std::string sensorName(const std::string& pattern,
                                     const std::vector<std::string>& levels,
                                     std::string_view topic);

// The number at `path` in a JSON payload (or the payload itself when `path` is empty;
// booleans count as 0/1). nullopt with `error` set when there is none.
[[nodiscard]] std::optional<double> extractValue(std::string_view payload, const std::string& path,
                                                 std::string& error);

}  // namespace storegate::plugins::sensor_mqtt
