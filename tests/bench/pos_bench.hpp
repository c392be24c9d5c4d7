// POS adapters' throughput into the durable buffer (sync mode): receipts/s through
// pos_file (one CSV drop) and through pos_webhook (HTTP POSTs from several clients).
#pragma once

#include <cstdint>
#include <filesystem>

namespace storegate::bench {

struct PosResult {
  double file_rps = 0;           // receipts/s, one CSV of `receipts` rows dropped at once
  double webhook_rps = 0;        // receipts/s, 4 clients POSTing one receipt per request
  double webhook_batch_rps = 0;  // receipts/s, 4 clients POSTing 100 receipts per request
  bool complete = false;
};

// Returns zeros (complete = false) when the POS plugins were not built.
PosResult posRun(const std::filesystem::path& dir, uint64_t receipts);

}  // namespace storegate::bench
