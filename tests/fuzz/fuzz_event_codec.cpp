// libFuzzer target: the buffer's binary event envelope. A damaged record on disk must be
// refused with a reason (then quarantined), never crash; a decoded one re-encodes exactly.
#include <cstdint>
#include <string>
#include <string_view>

#include "event/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto e = storegate::decodeEvent(bytes, &error);
  if (!e) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  const std::string again = storegate::encodeEvent(*e);
  const auto back = storegate::decodeEvent(again, &error);
  if (!back || back->id != e->id || back->type != e->type || back->data != e->data ||
      back->sequence != e->sequence || back->time_unix_ns != e->time_unix_ns)
    __builtin_trap();
  return 0;
}
