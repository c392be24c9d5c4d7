#include "common/thread_guard.hpp"

#include <atomic>
#include <exception>
#include <string>

#include "common/log.hpp"

namespace storegate {
namespace {
std::atomic<uint64_t> escaped{0};

void report(std::string_view thread, const char* what) noexcept {
  escaped.fetch_add(1);
  try {
    logError("thread", "caught an exception that would have ended the daemon",
             {{"thread", std::string(thread)}, {"error", what}});
  } catch (...) {
    // Logging itself failed (out of memory): the count above still tells.
  }
}
}  // namespace

bool runGuarded(std::string_view thread, const std::function<void()>& body) noexcept {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    report(thread, e.what());
  } catch (...) {
    report(thread, "an exception of unknown type");
  }
  return false;
}

uint64_t escapedExceptions() noexcept {
  return escaped.load();
}

}  // namespace storegate
