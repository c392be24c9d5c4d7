// pos_sql: polls a POS database table (one row per line item) by an increasing id column
// and turns each complete receipt into a store.pos.receipt event. The last id consumed
// is kept in the host's state, so a restart resumes exactly after it. Rows must be
// committed a receipt at a time (as POS systems do), and `batch` must exceed the line
// items of the largest receipt, since a batch's last receipt is held back until the next
// poll in case its rows continue.
#pragma once

#include <Poco/Data/Session.h>

#include <filesystem>
#include <storegate/sdk.hpp>
#include <vector>

#include "pos_source.hpp"  // pos_common

namespace storegate::plugins::pos_sql {
using namespace storegate::plugins::pos;

struct Settings {
  std::string connector;   // Poco::Data connector name: SQLite
  std::string connection;  // the database file
  std::string table;
  std::string cursor_column;
  std::chrono::milliseconds poll_interval;
  size_t batch;
  std::filesystem::path quarantine_dir;
  ParseOptions parse;

  static Settings from(const sdk::Config& c);
  // The SELECT of `columns` (field, column) for rows after `cursor`; identifiers are
  // validated in from().
  [[nodiscard]] std::string query(
      int64_t cursor, const std::vector<std::pair<std::string, std::string>>& columns) const;
};

class PosSql final : public sdk::Plugin {
 public:
  PosSql(sdk::Host host, const sdk::Config& config);
  void start() override;
  void stop(std::chrono::milliseconds deadline) override;
  sg_health_level health() override;

 private:
  // One poll; returns true when a full batch was consumed (poll again at once).
  bool poll();
  // Finds which mapped columns the table has; the essential ones must exist.
  void resolveColumns(Poco::Data::Session& session);

  const Settings settings_;
  int64_t cursor_ = 0;
  std::vector<std::pair<std::string, std::string>> selected_;  // (receipt field, column) present
  Poller poller_;
};

}  // namespace storegate::plugins::pos_sql
