// MQTT topics built from a template: "stores/{storeid}/events/{type}".
#pragma once

#include <optional>
#include <storegate/sdk.hpp>
#include <string>
#include <vector>

namespace storegate::plugins::platform {

class TopicTemplate {
 public:
  // Placeholders: {storeid}, {type}, {source}, {subject}, {instance}. Throws sdk::Error
  // (SG_ERR_INVALID) naming an unknown placeholder, an unclosed brace or a wildcard.
  TopicTemplate(std::string_view text, std::string store_id, std::string instance);

  // Values are sanitized: MQTT wildcards and '/' inside a value become '_'.
  [[nodiscard]] std::string render(const sg_event& e) const;
  // The template with only the store and instance filled in (for the fixed topics).
  [[nodiscard]] std::string renderFixed() const;
  [[nodiscard]] bool perEvent() const noexcept { return per_event_; }

 private:
  enum class Part { kText, kStore, kType, kSource, kSubject, kInstance };
  std::vector<std::pair<Part, std::string>> parts_;
  std::string store_id_;
  std::string instance_;
  bool per_event_ = false;
};

}  // namespace storegate::plugins::platform
