// The compact binary envelope events are stored in. Format v1, all integers LEB128 varints:
//   magic 0xE7, version 1, then id, source, type, subject, datacontenttype, storeid,
//   dedupkey as (length, bytes), time_unix_ns zigzag-encoded, then data as (length, bytes).
// The sequence number is the storage key and is not repeated inside. Decoding checks
// every length against the input and never reads past it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "event/event.hpp"

namespace storegate {

inline constexpr unsigned char kEnvelopeMagic = 0xE7;
inline constexpr unsigned char kEnvelopeVersion = 1;

// Appends the encoding of `e` to `out`.
void encodeEvent(const Event& e, std::string& out);
[[nodiscard]] std::string encodeEvent(const Event& e);

// Decodes one envelope. On failure returns nullopt and says why in `error`
// (e.g. "truncated in field 'type'", "unknown envelope version 7").
[[nodiscard]] std::optional<Event> decodeEvent(std::string_view bytes,
                                               std::string* error = nullptr);

}  // namespace storegate
