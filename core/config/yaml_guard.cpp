#include "config/yaml_guard.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <set>
#include <sstream>
#include <vector>

namespace storegate {

namespace {

struct Refused {
  ConfigError error;
};

std::string where(const YAML::Mark& m) {
  return "line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

class ShapeChecker final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      throw Refused{{where(mark), "a second YAML document (---): a config is one document"}};
  }
  void OnDocumentEnd() override {}
  // A null key (~, null, or nothing) becomes the key "null" when loaded: it can repeat too.
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    static const std::string kNull = "null";
    node(mark, &kNull);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    throw Refused{{where(mark),
                   "YAML aliases (*name) are not allowed in a config: write the "
                   "value out where it is needed"}};
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    node(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark, nullptr, /*container=*/true);
    push(mark, false);
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark, nullptr, /*container=*/true);
    push(mark, true);
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool map = false;
    bool expecting_key = true;
    std::set<std::string> keys;
  };

  void push(const YAML::Mark& mark, bool map) {
    if (frames_.size() >= static_cast<size_t>(kMaxYamlDepth))
      throw Refused{
          {where(mark), "nested deeper than " + std::to_string(kMaxYamlDepth) + " levels"}};
    frames_.push_back({map, true, {}});
  }

  // A node at the current position: a mapping's key or value, or a sequence item.
  void node(const YAML::Mark& mark, const std::string* scalar, bool container = false) {
    if (frames_.empty() || !frames_.back().map) return;
    Frame& f = frames_.back();
    if (!f.expecting_key) {
      f.expecting_key = true;
      return;
    }
    f.expecting_key = false;
    // Only plain keys can repeat visibly; other keys are the loader's to refuse in context.
    if (container || scalar == nullptr) return;
    if (!f.keys.insert(*scalar).second)
      throw Refused{{where(mark), "key '" + *scalar +
                                      "' appears twice in one mapping (only one may stay: "
                                      "remove the other)"}};
  }

  int documents_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

std::optional<ConfigError> checkYamlShape(const std::string& text) {
  if (text.size() > kMaxYamlBytes)
    return ConfigError{"", "the config is " + std::to_string(text.size()) + " bytes; at most " +
                               std::to_string(kMaxYamlBytes) + " are read"};
  std::istringstream in(text);
  ShapeChecker checker;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const Refused& r) {
    return r.error;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // a syntax error: the loader reports it with its position
  }
  return std::nullopt;
}

}  // namespace storegate
