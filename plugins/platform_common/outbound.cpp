#include "outbound.hpp"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

namespace storegate::plugins::platform {

Verdict classify(const sg_event& e, std::string_view own_source, int64_t now_unix_ns) {
  if (sdk::view(e.source) == own_source) return Verdict::kOwn;
  const std::string_view data = sdk::view(e.data);
  if (data.find("\"expires_at\"") != std::string_view::npos) {
    const nlohmann::json doc = nlohmann::json::parse(data, nullptr, false);
    if (doc.is_object() && doc.contains("expires_at") && doc["expires_at"].is_string()) {
      const auto at = parseRfc3339(doc["expires_at"].get_ref<const std::string&>());
      if (at && *at <= now_unix_ns) return Verdict::kExpired;
    }
  }
  return Verdict::kSend;
}

std::string renderCloudEvent(const sg_event& e, const Pseudonymizer& p) {
  const std::string_view data = sdk::view(e.data);
  if (!p.mayApply(data)) return sdk::toCloudEventJson(e);
  const std::string replaced = p.apply(data);
  sg_event copy = e;
  copy.data = sdk::bytes(replaced);
  return sdk::toCloudEventJson(copy);
}

namespace {
bool number(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  const auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc() && r.ptr == s.data() + pos + len;
}
}  // namespace

std::optional<int64_t> parseRfc3339(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!number(s, 0, 4, y) || !number(s, 5, 2, mo) || !number(s, 8, 2, d) || !number(s, 11, 2, h) ||
      !number(s, 14, 2, mi) || !number(s, 17, 2, sec))
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)),
                                        std::chrono::day(unsigned(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100'000'000;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!number(s, pos + 1, 2, oh) || !number(s, pos + 4, 2, om)) return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * 1'000'000'000 + frac_ns;
}

}  // namespace storegate::plugins::platform
