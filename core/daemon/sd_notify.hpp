// systemd's service notification protocol (sd_notify(3)) without libsystemd: one datagram
// to the socket in $NOTIFY_SOCKET. Outside systemd (no variable) every call is a no-op.
#pragma once

#include <chrono>
#include <string_view>

namespace storegate {

// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=…"); false when there is
// no notify socket or the send failed.
bool sdNotify(std::string_view state);

// How often systemd expects "WATCHDOG=1" ($WATCHDOG_USEC, when $WATCHDOG_PID is unset or
// ours); zero when the watchdog is off.
[[nodiscard]] std::chrono::microseconds sdWatchdogInterval();

}  // namespace storegate
