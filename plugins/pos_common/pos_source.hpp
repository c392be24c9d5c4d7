// What the POS adapters do the same way once they hold receipts: build the events and write
// rejected records to the quarantine folder.
#pragma once

#include <filesystem>
#include <storegate/sdk.hpp>
#include <vector>

#include "poller.hpp"  // plugins/common
#include "receipt.hpp"

namespace storegate::plugins::pos {

// One store.pos.receipt event per receipt: subject till-<till>, dedupkey <till>/<number>.
[[nodiscard]] std::vector<sdk::Event> toEvents(const std::vector<Receipt>& receipts);

// Writes `rejected` to <dir>/<name>.rejected (the records) and .rejected.reason (one
// "where: reason" line each), never overwriting an earlier file, counts them in the
// `receipts_quarantined` metric and logs the first reason, then prunes the folder to
// kQuarantineMaxBytes (`quarantine_files_removed`). Returns the records' path.
std::filesystem::path quarantine(const sdk::Host& host, const std::filesystem::path& dir,
                                 const std::string& name, const std::vector<Rejected>& rejected);

// The quarantine folder's bound: past `max_bytes` of quarantine files (*.rejected and their
// .reason), the oldest (by modification time) are removed until the rest fit, so a POS
// resending one bad receipt forever cannot fill the flash. Returns how many were removed.
inline constexpr uint64_t kQuarantineMaxBytes = 32ull << 20;
size_t pruneQuarantine(const std::filesystem::path& dir, uint64_t max_bytes);

// A file name in `dir` not taken yet: name, name.1, name.2, ...
[[nodiscard]] std::filesystem::path freeName(const std::filesystem::path& dir,
                                             const std::string& name);

using plugins::Poller;

}  // namespace storegate::plugins::pos
