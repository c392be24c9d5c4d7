#include "code_filter.hpp"

#include <storegate/sdk.hpp>

namespace storegate::plugins::member_code {

namespace {
std::regex compile(const std::string& text, const char* property) {
  try {
    return std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw sdk::Error(std::string(property) + ": '" + text +
                         "' is not a valid regular expression (" + e.what() + ")",
                     SG_ERR_INVALID);
  }
}

void trim(std::string& s) {
  while (!s.empty() &&
         (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  s.erase(0, i);
}
}  // namespace

CodeFilter::CodeFilter(FilterSettings s)
    : s_(std::move(s)), pattern_(compile(s_.pattern, "pattern")) {
  if (!s_.dynamic_pattern.empty()) dynamic_ = compile(s_.dynamic_pattern, "dynamic.pattern");
}

Verdict CodeFilter::check(std::string raw, int64_t now) {
  trim(raw);
  if (!s_.prefix.empty() && raw.rfind(s_.prefix, 0) == 0) raw.erase(0, s_.prefix.size());
  if (!s_.suffix.empty() && raw.size() >= s_.suffix.size() &&
      raw.compare(raw.size() - s_.suffix.size(), s_.suffix.size(), s_.suffix) == 0)
    raw.erase(raw.size() - s_.suffix.size());
  Verdict v;
  v.code = raw;
  if (raw.empty() || !std::regex_match(raw, pattern_)) return v;  // not a member code

  // Forget codes older than the window, so the map stays small on a busy door.
  const int64_t window = std::chrono::nanoseconds(s_.debounce).count();
  for (auto it = last_seen_.begin(); it != last_seen_.end();)
    it = now - it->second > window ? last_seen_.erase(it) : std::next(it);
  auto [it, fresh] = last_seen_.try_emplace(raw, now);
  it->second = now;  // held in view: the window runs from the last sighting
  if (!fresh) {
    v.kind = Verdict::Kind::kRepeat;
    return v;
  }
  v.kind = Verdict::Kind::kScan;
  if (dynamic_ && std::regex_match(raw, *dynamic_))
    v.expires_unix_ns = now + std::chrono::nanoseconds(s_.dynamic_ttl).count();
  return v;
}

}  // namespace storegate::plugins::member_code
