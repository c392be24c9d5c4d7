// Copy, complete and validate events on their way into the buffer.
#include "buffer/ingest.hpp"

#include <cctype>
#include <cstdio>
#include <random>
#include <storegate/sdk.hpp>

#include "common/time.hpp"
#include "event/json_check.hpp"

namespace storegate {

Ingest::Ingest(EventBuffer& buffer, std::string store_id, IngestLimits limits)
    : buffer_(buffer), store_id_(std::move(store_id)), limits_(limits) {
  // A random per-process prefix keeps ids unique across restarts without coordination.
  std::random_device rd;
  const uint64_t r = (uint64_t(rd()) << 32) ^ rd();
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
  id_prefix_ = buf;
}

std::string Ingest::nextId() {
  return id_prefix_ + "-" + std::to_string(id_counter_.fetch_add(1, std::memory_order_relaxed));
}

namespace {

// "application/json", "application/cloudevents+json", with parameters ("; charset=utf-8")
// and in any case.
bool isJsonContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  std::string lower(ct);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json" ||
         (lower.size() > 5 && lower.compare(lower.size() - 5, 5, "+json") == 0);
}

bool validTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string validateEvent(const Event& e, const IngestLimits& limits) {
  if (e.type.empty()) return "type is empty (every event needs one, e.g. store.pos.receipt)";
  if (e.type.size() > 128) return "type is longer than 128 characters";
  for (char c : e.type) {
    if (!validTypeChar(c))
      return "type '" + e.type + "' may only hold letters, digits, '.', '_', '-'";
  }
  if (e.data.size() > limits.max_data_bytes) {
    return "data is " + std::to_string(e.data.size()) + " bytes, more than the limit of " +
           std::to_string(limits.max_data_bytes);
  }
  // Whatever its type says: readers that try any data as JSON (/v1/events, the
  // pseudonymizer) copy it recursively.
  if (sdk::jsonNesting(e.data) > sdk::kMaxJsonDepth) {
    return "data nests deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels";
  }
  if (isJsonContentType(e.datacontenttype) && !e.data.empty() && !isValidJson(e.data)) {
    return "data is not valid JSON but datacontenttype is '" + e.datacontenttype + "'";
  }
  return {};
}

Status Ingest::emit(std::string_view source, std::span<const sg_event> views) {
  if (views.empty()) return Status::success();
  if (views.size() > limits_.max_batch_events) {
    rejected_.fetch_add(views.size(), std::memory_order_relaxed);
    return Status::invalid("batch of " + std::to_string(views.size()) +
                           " events exceeds the limit of " +
                           std::to_string(limits_.max_batch_events));
  }
  std::vector<Event> events;
  events.reserve(views.size());
  const int64_t now = wallClockNs();
  for (size_t i = 0; i < views.size(); ++i) {
    Event e = Event::fromView(views[i]);
    if (e.id.empty()) e.id = nextId();
    if (e.source.empty()) e.source = source;
    if (e.time_unix_ns == 0) e.time_unix_ns = now;
    if (e.datacontenttype.empty()) e.datacontenttype = "application/json";
    e.storeid = store_id_;
    if (std::string why = validateEvent(e, limits_); !why.empty()) {
      rejected_.fetch_add(views.size(), std::memory_order_relaxed);
      return Status::invalid(views.size() == 1 ? "event: " + why
                                               : "event " + std::to_string(i) + " of " +
                                                     std::to_string(views.size()) + ": " + why);
    }
    events.push_back(std::move(e));
  }
  Status s = buffer_.append(events);
  if (s.ok()) {
    accepted_.fetch_add(events.size(), std::memory_order_relaxed);
    if (observer_) observer_(events);
  }
  return s;
}

}  // namespace storegate
