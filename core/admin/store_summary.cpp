#include "admin/store_summary.hpp"

namespace storegate::admin {

using nlohmann::json;

int64_t StoreSummary::dayOf(int64_t unix_s, int& hour) {
  const time_t t = static_cast<time_t>(unix_s);
  tm local{};
  localtime_r(&t, &local);
  hour = local.tm_hour;
  // Days since the epoch in local time: year and day of year identify the day.
  return static_cast<int64_t>(local.tm_year) * 400 + local.tm_yday;
}

int StoreSummary::rollDay(int64_t now_unix_s) {
  int hour = 0;
  const int64_t day = dayOf(now_unix_s, hour);
  if (day > day_) {
    day_ = day;
    hours_ = {};
  }
  return hour;
}

namespace {
// The events the day's numbers count; everything else (most of the traffic: sensor
// readings, greetings) is passed over before any time arithmetic or locking.
enum class Kind { kOther, kCrossing, kReceipt, kScan, kAlert };

Kind kindOf(const std::string& type) {
  if (type.rfind("store.", 0) != 0) return Kind::kOther;
  if (type == "store.footfall.crossing") return Kind::kCrossing;
  if (type == "store.pos.receipt") return Kind::kReceipt;
  if (type == "store.member.scan") return Kind::kScan;
  if (type == "store.sensor.alert") return Kind::kAlert;
  return Kind::kOther;
}
}  // namespace

void StoreSummary::observe(std::span<const Event> events) {
  std::unique_lock lock(mu_, std::defer_lock);
  for (const Event& e : events) {
    if (kindOf(e.type) == Kind::kOther) continue;
    if (!lock.owns_lock()) lock.lock();
    add(e);
  }
}

void StoreSummary::add(const Event& e) {
  const Kind kind = kindOf(e.type);
  if (kind == Kind::kOther) return;
  int hour = 0;
  const int64_t day = dayOf(e.time_unix_ns / 1'000'000'000, hour);
  if (day > day_) {  // a new day begins
    day_ = day;
    hours_ = {};
  }
  if (day != day_) return;  // an earlier day's event (the backlog of an outage)
  Hour& h = hours_[static_cast<size_t>(hour)];
  switch (kind) {
    case Kind::kCrossing: {
      const json d = json::parse(e.data, nullptr, false);
      const std::string direction = d.is_object() ? d.value("direction", "") : "";
      h.in += direction == "in";
      h.out += direction == "out";
      break;
    }
    case Kind::kReceipt:
      ++h.receipts;
      break;
    case Kind::kScan:
      ++h.member_scans;
      break;
    case Kind::kAlert:
      ++h.alerts;
      break;
    case Kind::kOther:
      break;
  }
}

json StoreSummary::today(EventBuffer& buffer, int64_t now_unix_s, size_t max_events) {
  std::lock_guard lock(mu_);
  const int now_hour = rollDay(now_unix_s);
  size_t read = 0;
  while (backfill_after_ < backfill_until_ && read < max_events) {
    const auto batch = buffer.readAfter(backfill_after_, 1000, 4 << 20);
    if (batch.empty()) {  // trimmed meanwhile: nothing more to read back
      backfill_after_ = backfill_until_;
      break;
    }
    for (const Event& e : batch) {
      if (e.sequence > backfill_until_) break;
      add(e);
    }
    backfill_after_ = batch.back().sequence;
    read += batch.size();
  }
  const bool caught_up = backfill_after_ >= backfill_until_;
  json hours = json::array();
  Hour total;
  for (int i = 0; i < 24; ++i) {
    const Hour& h = hours_[static_cast<size_t>(i)];
    total.in += h.in;
    total.out += h.out;
    total.receipts += h.receipts;
    total.member_scans += h.member_scans;
    total.alerts += h.alerts;
    hours.push_back({{"hour", i},
                     {"in", h.in},
                     {"out", h.out},
                     {"receipts", h.receipts},
                     {"member_scans", h.member_scans},
                     {"alerts", h.alerts},
                     {"conversion", h.in ? json(double(h.receipts) / double(h.in)) : json()}});
  }
  return {{"hour_now", now_hour},
          {"caught_up", caught_up},
          {"in", total.in},
          {"out", total.out},
          {"receipts", total.receipts},
          {"member_scans", total.member_scans},
          {"alerts", total.alerts},
          {"conversion", total.in ? json(double(total.receipts) / double(total.in)) : json()},
          {"hours", hours}};
}

}  // namespace storegate::admin
