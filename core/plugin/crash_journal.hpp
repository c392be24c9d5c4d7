// The crash-loop breaker's memory: which instance's code was running when the daemon died.
//
// `install` sets handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT that look up the
// faulting address (and the frames above it) in the code ranges of the running instances,
// append "<unix seconds> <signal> <instance or ->" to the journal with write()+fsync() (both
// async-signal-safe), and let the signal end the process as it would have. At the next
// start, `brokenInstances` names the instances blamed for `crashes` deaths within `window`
// since an operator last cleared them; the daemon leaves those `broken` and runs the rest.
//
// Threading: track/untrack from any thread (lock-free slots the handler reads). The journal
// functions are for the start path and the control executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace storegate::crash {

// Installs the handlers (once per process; later calls change nothing). `journal` is opened
// for appending now, so the handler never needs a path or an allocation.
Status install(const std::filesystem::path& journal);

// The instance `name` (identified by `owner`, so an old and a new instance of one name can
// overlap during a hot swap) runs code of the library that holds `code` (any function of
// it). At most 128 instances are tracked; more are not blamed by name (logged once).
void track(const void* owner, std::string_view name, const void* code);
void untrack(const void* owner);

struct Verdict {
  std::set<std::string> broken;  // blamed `crashes` times in `window`, or marked and not cleared
  int unattributed = 0;          // deaths in the window in no instance's code
};
// Reads the journal's last 64 KiB. A missing file is an empty verdict; damaged lines are
// skipped (the file is only ever appended to, and a power cut may cut a line).
[[nodiscard]] Verdict read(const std::filesystem::path& journal, int crashes,
                           std::chrono::seconds window, int64_t now_unix_s);
// Appends "<now> broken <name>" (so the verdict sticks after the window passes) or
// "<now> clear <name>" (an operator started it again), durably.
Status mark(const std::filesystem::path& journal, std::string_view word, std::string_view name,
            int64_t now_unix_s);

}  // namespace storegate::crash
