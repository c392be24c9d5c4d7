#include "topic_template.hpp"

namespace storegate::plugins::platform {

TopicTemplate::TopicTemplate(std::string_view text, std::string store_id, std::string instance)
    : store_id_(std::move(store_id)), instance_(std::move(instance)) {
  if (text.find_first_of("+#") != std::string_view::npos)
    throw sdk::Error("topic '" + std::string(text) + "' contains an MQTT wildcard (+ or #)",
                     SG_ERR_INVALID);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      parts_.emplace_back(Part::kText, std::string(text.substr(pos)));
      break;
    }
    if (open > pos) parts_.emplace_back(Part::kText, std::string(text.substr(pos, open - pos)));
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos)
      throw sdk::Error("topic '" + std::string(text) + "' has an unclosed '{'", SG_ERR_INVALID);
    const std::string_view name = text.substr(open + 1, close - open - 1);
    if (name == "storeid") {
      parts_.emplace_back(Part::kStore, "");
    } else if (name == "instance") {
      parts_.emplace_back(Part::kInstance, "");
    } else if (name == "type") {
      parts_.emplace_back(Part::kType, "");
    } else if (name == "source") {
      parts_.emplace_back(Part::kSource, "");
    } else if (name == "subject") {
      parts_.emplace_back(Part::kSubject, "");
    } else {
      throw sdk::Error("topic '" + std::string(text) + "' uses unknown placeholder {" +
                           std::string(name) +
                           "} (known: {storeid}, {type}, {source}, {subject}, {instance})",
                       SG_ERR_INVALID);
    }
    per_event_ = per_event_ || (name == "type" || name == "source" || name == "subject");
    pos = close + 1;
  }
}

namespace {
void appendSanitized(std::string& out, std::string_view v) {
  for (const char c : v) out.push_back(c == '/' || c == '+' || c == '#' ? '_' : c);
}
}  // namespace

std::string TopicTemplate::render(const sg_event& e) const {
  std::string out;
  out.reserve(64);
  for (const auto& [part, text] : parts_) {
    switch (part) {
      case Part::kText:
        out += text;
        break;
      case Part::kStore:
        appendSanitized(out, store_id_);
        break;
      case Part::kInstance:
        appendSanitized(out, instance_);
        break;
      case Part::kType:
        appendSanitized(out, sdk::view(e.type));
        break;
      case Part::kSource:
        appendSanitized(out, sdk::view(e.source));
        break;
      case Part::kSubject:
        appendSanitized(out, e.subject.len > 0 ? sdk::view(e.subject) : "none");
        break;
    }
  }
  return out;
}

std::string TopicTemplate::renderFixed() const {
  sg_event none{};
  return render(none);
}

}  // namespace storegate::plugins::platform
