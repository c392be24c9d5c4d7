// The event envelope the core stores and moves: CloudEvents 1.0 attributes plus the
// store's own (`storeid`, `dedupkey`) and the buffer's sequence number.
#pragma once

#include <storegate/plugin.h>

#include <cstdint>
#include <string>

namespace storegate {

struct Event {
  std::string id;
  std::string source;
  std::string type;
  std::string subject;
  std::string datacontenttype;
  std::string storeid;
  std::string dedupkey;
  int64_t time_unix_ns = 0;
  uint64_t sequence = 0;  // assigned by the buffer; not part of the encoded envelope
  std::string data;

  bool operator==(const Event&) const = default;

  // A borrowed view for the ABI, valid while this Event is alive and unchanged.
  [[nodiscard]] sg_event view() const;
  // Deep copy of a view handed over by a plugin (fields past struct_size are empty).
  [[nodiscard]] static Event fromView(const sg_event& e);
  // Bytes this event takes in memory and roughly on disk, for batching limits.
  [[nodiscard]] size_t approximateSize() const;
};

}  // namespace storegate
