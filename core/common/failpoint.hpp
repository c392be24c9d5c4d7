// Crash points for the crash tests. STOREGATE_CRASH_AT="name:N" makes the N-th pass
// through SG_FAILPOINT("name") kill the process with SIGKILL, at exactly that point.
// Unset (always, in production), a failpoint costs one predictable branch.
#pragma once

#include <string_view>

namespace storegate {

[[nodiscard]] bool failpointsArmed();
void failpointHit(std::string_view name);

}  // namespace storegate

#define SG_FAILPOINT(name)                                               \
  do {                                                                   \
    if (::storegate::failpointsArmed()) ::storegate::failpointHit(name); \
  } while (0)
