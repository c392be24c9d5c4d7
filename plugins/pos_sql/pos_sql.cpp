// pos_sql's behaviour: query after the cursor, group rows, emit, advance the cursor.
#include "pos_sql.hpp"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <set>

namespace storegate::plugins::pos_sql {

namespace {
constexpr std::size_t kConnectTimeoutSeconds = 5;

// Identifiers go into SQL text, so only plain names (optionally schema-qualified) pass.
bool plainIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.')) {
      return false;
    }
  }
  return !(s[0] >= '0' && s[0] <= '9');
}
}  // namespace

Settings Settings::from(const sdk::Config& c) {
  Settings s;
  s.connector = "SQLite";
  s.connection = c.getString("connection");
  s.table = c.getString("table");
  s.cursor_column = c.getString("cursor_column");
  s.poll_interval = c.getDuration("poll_interval");
  s.batch = static_cast<size_t>(c.getInt("batch"));
  s.quarantine_dir = c.getString("quarantine_dir");
  s.parse.default_till = c.isSet("till") ? c.getString("till") : std::string();
  s.parse.check_total = c.getBool("check_total");
  const auto columns = nlohmann::json::parse(c.getJson("columns"));
  for (const auto& [field, name] : columns.items()) {
    if (s.parse.columns.count(field) == 0)
      throw sdk::Error("columns." + field + ": not a receipt field", SG_ERR_INVALID);
    if (!name.is_string())
      throw sdk::Error("columns." + field + ": must be a column name", SG_ERR_INVALID);
    s.parse.columns[field] = name.get<std::string>();
  }
  for (const std::string* id : {&s.table, &s.cursor_column}) {
    if (!plainIdentifier(*id))
      throw sdk::Error("'" + *id + "' is not a plain SQL identifier", SG_ERR_INVALID);
  }
  for (const auto& [field, name] : s.parse.columns) {
    if (!plainIdentifier(name))
      throw sdk::Error("columns." + field + ": '" + name + "' is not a plain SQL identifier",
                       SG_ERR_INVALID);
  }
  return s;
}

std::string Settings::query(int64_t cursor,
                            const std::vector<std::pair<std::string, std::string>>& columns) const {
  std::string sql = "SELECT " + cursor_column;
  for (const auto& [field, name] : columns) sql += ", " + name;
  return sql + " FROM " + table + " WHERE " + cursor_column + " > " + std::to_string(cursor) +
         " ORDER BY " + cursor_column + " LIMIT " + std::to_string(batch);
}

PosSql::PosSql(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      settings_(Settings::from(config)),
      poller_(this->host(), settings_.poll_interval) {}

void PosSql::start() {
  Poco::Data::SQLite::Connector::registerConnector();
  std::error_code ec;
  std::filesystem::create_directories(settings_.quarantine_dir, ec);
  if (ec)
    throw sdk::Error("cannot create " + settings_.quarantine_dir.string() + ": " + ec.message());
  if (const auto saved = host().stateGet("cursor")) cursor_ = std::stoll(*saved);
  poller_.start([this] {
    try {
      return poll();
    } catch (const Poco::Exception& e) {
      selected_.clear();  // the table may have changed: look again
      throw std::runtime_error("database: " + e.displayText());
    } catch (...) {
      selected_.clear();
      throw;
    }
  });
  host().info("polling " + settings_.table + " after " + settings_.cursor_column + " " +
              std::to_string(cursor_));
}

void PosSql::stop(std::chrono::milliseconds) {
  poller_.stop();
}

sg_health_level PosSql::health() {
  return poller_.health();
}

void PosSql::resolveColumns(Poco::Data::Session& session) {
  Poco::Data::Statement probe(session);
  probe << "SELECT * FROM " + settings_.table + " LIMIT 0";
  probe.execute();
  Poco::Data::RecordSet rs(probe);
  std::set<std::string> present;
  for (size_t i = 0; i < rs.columnCount(); ++i) present.insert(rs.columnName(i));
  if (present.count(settings_.cursor_column) == 0) {
    throw std::runtime_error("table " + settings_.table + " has no column '" +
                             settings_.cursor_column + "' (set cursor_column)");
  }
  std::vector<std::pair<std::string, std::string>> selected;
  for (const auto& [field, column] : settings_.parse.columns) {
    if (present.count(column) != 0) {
      selected.emplace_back(field, column);
    } else if (field == "receipt_no" || field == "time" || field == "sku" || field == "quantity" ||
               field == "unit_price" || field == "total") {
      throw std::runtime_error("table " + settings_.table + " has no column '" + column +
                               "' for receipt field '" + field + "' (map it with `columns`)");
    }
  }
  selected_ = std::move(selected);
}

bool PosSql::poll() {
  // Never let SQLite create the POS's database: a missing file is the POS not being there.
  // (Opening a path in a missing directory would also block inside Poco.)
  std::error_code ec;
  if (!std::filesystem::is_regular_file(settings_.connection, ec)) {
    throw std::runtime_error("database file " + settings_.connection + " does not exist");
  }
  // A session per poll: a POS database that restarts costs one failed poll, no reconnect logic.
  Poco::Data::Session session(settings_.connector, settings_.connection, kConnectTimeoutSeconds);
  if (selected_.empty()) resolveColumns(session);
  Poco::Data::Statement select(session);
  select << settings_.query(cursor_, selected_);
  select.execute();
  Poco::Data::RecordSet rs(select);
  const size_t n = rs.rowCount();
  if (n == 0) return false;
  std::vector<FieldRow> rows;
  std::vector<int64_t> ids;
  rows.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    FieldRow f;
    const int64_t id = rs.value(0, r).convert<int64_t>();
    f.where = settings_.cursor_column + " " + std::to_string(id);
    nlohmann::json raw = {{settings_.cursor_column, id}};
    size_t col = 1;
    for (const auto& [field, name] : selected_) {
      const std::string v =
          rs.isNull(col, r) ? std::string() : rs.value(col, r).convert<std::string>();
      f.fields[field] = v;
      raw[name] = v;
      ++col;
    }
    f.raw = raw.dump() + "\n";
    rows.push_back(std::move(f));
    ids.push_back(id);
  }
  // A full batch may end in the middle of a receipt: hold its last receipt back.
  size_t take = rows.size();
  if (rows.size() == settings_.batch) {
    const auto same = [&](size_t i) {
      return rows[i].fields["receipt_no"] == rows.back().fields["receipt_no"] &&
             rows[i].fields["till"] == rows.back().fields["till"];
    };
    while (take > 0 && same(take - 1)) --take;
    if (take == 0) take = rows.size();  // one receipt fills the batch: take it as it is
  }
  rows.resize(take);
  const ParseResult parsed = groupRows(rows, settings_.parse);
  const std::vector<sdk::Event> events = toEvents(parsed.receipts);
  if (!events.empty()) {
    const sg_status s = host().emitBatch(events);
    if (s != SG_OK)
      throw std::runtime_error("the buffer refused receipts (status " + std::to_string(s) + ")");
    host().counterAdd("receipts_emitted", static_cast<double>(events.size()));
  }
  if (!parsed.rejected.empty()) {
    quarantine(host(), settings_.quarantine_dir,
               host().instanceName() + "-" + std::to_string(ids.front()) + "-" +
                   std::to_string(ids[take - 1]),
               parsed.rejected);
  }
  cursor_ = ids[take - 1];
  sdk::ignore(host().statePut("cursor", std::to_string(cursor_)),
              "an older cursor re-reads rows and dedup keys drop the repeats");
  return n == settings_.batch;
}

}  // namespace storegate::plugins::pos_sql
