// libFuzzer target: the .sgp plugin package reader (uploads arrive from the network; the
// .sgm sidecars from the disk), and its writer on whatever the reader accepted.
#include <cstdint>
#include <string>

#include "package/sgp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string archive(reinterpret_cast<const char*>(data), size);
  for (const bool library_required : {true, false}) {
    storegate::package::Package p;
    const storegate::Status s = storegate::package::read(archive, p, library_required);
    if (!s.ok()) {
      if (s.message.empty()) __builtin_trap();
      continue;
    }
    // What was accepted writes back and reads again to the same manifest.
    storegate::package::Package again;
    if (!storegate::package::read(storegate::package::write(p, library_required), again,
                                  library_required)
             .ok() ||
        again.manifest_text != p.manifest_text)
      __builtin_trap();
  }
  return 0;
}
