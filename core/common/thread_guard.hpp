// The top level of every thread the core starts: an exception that escapes a thread's body
// is logged with the thread's name and counted, and the thread ends — never the daemon.
// A loop that handles outside input wraps each item (guardedStep), so one bad item is
// skipped and the loop goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace storegate {

// Runs `body`; an exception leaving it is logged (component "thread", the thread's name and
// what()) and counted. Returns false when one did.
bool runGuarded(std::string_view thread, const std::function<void()>& body) noexcept;

// How many exceptions the guards caught since the process started (a metric).
[[nodiscard]] uint64_t escapedExceptions() noexcept;

}  // namespace storegate
