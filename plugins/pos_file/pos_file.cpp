// pos_file's behaviour: poll, settle, parse, emit in batches with progress, file away.
#include "pos_file.hpp"

#include <fstream>
#include <sstream>

namespace storegate::plugins::pos_file {

namespace fs = std::filesystem;

Settings Settings::from(const sdk::Config& c) {
  Settings s;
  s.dir = c.getString("dir");
  s.done_dir = c.isSet("done_dir") ? fs::path(c.getString("done_dir")) : s.dir / "done";
  s.quarantine_dir =
      c.isSet("quarantine_dir") ? fs::path(c.getString("quarantine_dir")) : s.dir / "quarantine";
  s.format = c.getString("format");
  s.keep = c.getString("after") == "keep";
  s.poll_interval = c.getDuration("poll_interval");
  s.settle_time = c.getDuration("settle_time");
  s.max_file_size = c.getSize("max_file_size");
  s.batch = static_cast<size_t>(c.getInt("batch"));
  s.parse.default_till = c.isSet("till") ? c.getString("till") : std::string();
  s.parse.check_total = c.getBool("check_total");
  const std::string d = c.getString("delimiter");
  if (d.size() != 1)
    throw sdk::Error("delimiter must be one character, got '" + d + "'", SG_ERR_INVALID);
  s.parse.delimiter = d[0];
  const auto columns = nlohmann::json::parse(c.getJson("columns"));
  for (const auto& [field, header] : columns.items()) {
    if (s.parse.columns.count(field) == 0) {
      throw sdk::Error("columns." + field +
                           ": not a receipt field (known: receipt_no, till, time, cashier, "
                           "sku, quantity, unit_price, discount, total, payment, member_code)",
                       SG_ERR_INVALID);
    }
    if (!header.is_string())
      throw sdk::Error("columns." + field + ": must be a header name", SG_ERR_INVALID);
    s.parse.columns[field] = header.get<std::string>();
  }
  return s;
}

PosFile::PosFile(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      settings_(Settings::from(config)),
      poller_(this->host(), settings_.poll_interval) {}

void PosFile::start() {
  std::error_code ec;
  if (!fs::is_directory(settings_.dir, ec)) {
    throw sdk::Error("drop folder " + settings_.dir.string() +
                     " does not exist (create it, or fix `dir`)");
  }
  if (!settings_.keep) fs::create_directories(settings_.done_dir, ec);
  fs::create_directories(settings_.quarantine_dir, ec);
  if (ec)
    throw sdk::Error("cannot create " + settings_.quarantine_dir.string() + ": " + ec.message());
  poller_.start([this] { return scan(); });
  host().info("watching " + settings_.dir.string() + " for receipt files");
}

void PosFile::stop(std::chrono::milliseconds) {
  poller_.stop();
}

sg_health_level PosFile::health() {
  return poller_.health();
}

namespace {
bool ignored(const std::string& name) {
  auto ends = [&](const char* s) {
    const std::string suffix(s);
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name.empty() || name[0] == '.' || ends(".tmp") || ends(".part") || ends(".partial") ||
         ends(".reason") || ends(".rejected");
}

std::string identityOf(const fs::path& p, uint64_t size, fs::file_time_type mtime) {
  return p.filename().string() + "|" + std::to_string(size) + "|" +
         std::to_string(mtime.time_since_epoch().count());
}

}  // namespace

bool PosFile::scan() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(settings_.dir, ec)) {
    if (entry.is_regular_file(ec) && !ignored(entry.path().filename().string()))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, Seen> still_there;
  for (const fs::path& f : files) {
    if (poller_.stopping()) return false;
    const uint64_t size = fs::file_size(f, ec);
    const auto mtime = fs::last_write_time(f, ec);
    if (ec) continue;  // vanished meanwhile
    const std::string name = f.filename().string();
    Seen s = seen_.count(name) ? seen_[name] : Seen{size, mtime, now};
    if (s.size != size || s.mtime != mtime) s = Seen{size, mtime, now};
    still_there[name] = s;
    if (now - s.stable_since < settings_.settle_time) continue;  // still being written
    const std::string identity = identityOf(f, size, mtime);
    if (settings_.keep && host().stateGet("done:" + identity)) continue;
    if (process(f, identity) == Outcome::Later) {  // backpressure: keep the file order
      seen_ = std::move(still_there);
      throw std::runtime_error("the buffer refused receipts from " + name +
                               "; the file stays and is retried");
    }
    still_there.erase(name);
  }
  seen_ = std::move(still_there);
  return false;
}

PosFile::Outcome PosFile::process(const fs::path& file, const std::string& identity) {
  const uint64_t size = fs::file_size(file);
  if (size > settings_.max_file_size) {
    quarantineWhole(file, "file is " + std::to_string(size) + " bytes, more than max_file_size " +
                              std::to_string(settings_.max_file_size));
    finish(file, identity);
    return Outcome::Done;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string format = settings_.format;
  if (format == "auto") {
    const std::string ext = file.extension().string();
    format = (ext == ".json" || ext == ".jsonl" || ext == ".ndjson") ? "json" : "csv";
  }
  const ParseResult parsed = format == "json" ? parseJsonReceipts(text.str(), settings_.parse)
                                              : parseCsvReceipts(text.str(), settings_.parse);
  if (!parsed.fatal.empty()) {
    quarantineWhole(file, parsed.fatal);
    finish(file, identity);
    return Outcome::Done;
  }
  // Resume within this file if a previous run stopped part-way.
  size_t next = 0;
  if (const auto saved = host().stateGet("progress")) {
    const auto p = nlohmann::json::parse(*saved, nullptr, false);
    if (p.is_object() && p.value("file", "") == identity) next = p.value("next", size_t{0});
  }
  while (next < parsed.receipts.size()) {
    const size_t end = std::min(parsed.receipts.size(), next + settings_.batch);
    const std::vector<sdk::Event> events =
        toEvents({parsed.receipts.begin() + static_cast<std::ptrdiff_t>(next),
                  parsed.receipts.begin() + static_cast<std::ptrdiff_t>(end)});
    // BACKPRESSURE or CLOSED: the file stays, progress is kept.
    if (host().emitBatch(events) != SG_OK) return Outcome::Later;
    next = end;
    sdk::ignore(
        host().statePut("progress", nlohmann::json({{"file", identity}, {"next", next}}).dump()),
        "without progress a restart re-reads the file and dedup keys drop the repeats");
    host().counterAdd("receipts_emitted", static_cast<double>(events.size()));
  }
  if (!parsed.rejected.empty()) {
    quarantine(host(), settings_.quarantine_dir, file.filename().string(), parsed.rejected);
  }
  finish(file, identity);
  host().info(file.filename().string() + ": " + std::to_string(parsed.receipts.size()) +
              " receipts, " + std::to_string(parsed.rejected.size()) + " quarantined");
  return Outcome::Done;
}

void PosFile::quarantineWhole(const fs::path& file, const std::string& reason) {
  std::error_code ec;
  const fs::path target = freeName(settings_.quarantine_dir, file.filename().string());
  if (settings_.keep)
    fs::copy_file(file, target, ec);
  else
    fs::rename(file, target, ec);
  std::ofstream(target.string() + ".reason") << reason << "\n";
  host().counterAdd("files_quarantined");
  host().warn(file.filename().string() + " quarantined: " + reason);
}

void PosFile::finish(const fs::path& file, const std::string& identity) {
  sdk::ignore(host().stateDelete("progress"), "a stale progress entry names a file already done");
  if (settings_.keep) {
    sdk::ignore(host().statePut("done:" + identity, "1"),
                "an unmarked file is read again and dedup keys drop the repeats");
  } else if (fs::exists(file)) {
    std::error_code ec;
    fs::rename(file, freeName(settings_.done_dir, file.filename().string()), ec);
    if (ec)
      host().error("cannot move " + file.string() + " to " + settings_.done_dir.string() + ": " +
                   ec.message());
  }
  host().counterAdd("files_done");
}

}  // namespace storegate::plugins::pos_file
