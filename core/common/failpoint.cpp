// Parses STOREGATE_CRASH_AT once and kills the process at the chosen pass.
#include "common/failpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "common/status.hpp"

namespace storegate {
namespace {

struct Armed {
  std::string name;
  long after = 1;
  std::atomic<long> hits{0};
  bool armed = false;

  Armed() {
    const char* spec = std::getenv("STOREGATE_CRASH_AT");
    if (spec == nullptr || *spec == '\0') return;
    std::string s(spec);
    const auto colon = s.find(':');
    name = s.substr(0, colon);
    if (colon != std::string::npos)
      after = std::max(1L, std::strtol(s.c_str() + colon + 1, nullptr, 10));
    armed = true;
  }
};

Armed& armed() {
  static Armed* a = new Armed();
  return *a;
}

}  // namespace

bool failpointsArmed() {
  static const bool on = armed().armed;
  return on;
}

void failpointHit(std::string_view name) {
  Armed& a = armed();
  if (name != a.name) return;
  if (a.hits.fetch_add(1) + 1 == a.after) {
    static const char msg[] = "storegated: failpoint reached, killing self\n";
    ignoreResult(::write(STDERR_FILENO, msg, sizeof msg - 1), "the kill follows either way");
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace storegate
