#include "plugin/crash_journal.hpp"

#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/file_io.hpp"
#include "common/log.hpp"

namespace storegate::crash {

namespace {

constexpr size_t kSlots = 128;
constexpr size_t kNameMax = 64;

struct Slot {
  std::atomic<uintptr_t> lo{0};  // 0: free or being written
  std::atomic<uintptr_t> hi{0};
  std::atomic<const void*> owner{nullptr};  // nullptr: free
  char name[kNameMax + 1] = {};
};

std::array<Slot, kSlots> g_slots;
std::atomic<int> g_fd{-1};
std::once_flag g_installed;

struct Range {
  uintptr_t lo = 0, hi = 0;
};

// The loaded object whose segments hold `address`.
Range rangeOf(uintptr_t address) {
  struct Search {
    uintptr_t address;
    Range found;
  } search{address, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          lo = std::min<uintptr_t>(lo, info->dlpi_addr + ph.p_vaddr);
          hi = std::max<uintptr_t>(hi, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
        }
        if (s->address >= lo && s->address < hi) {
          s->found = {lo, hi};
          return 1;
        }
        return 0;
      },
      &search);
  return search.found;
}

// ---- the signal handler: async-signal-safe calls only ----

size_t appendNumber(char* out, size_t at, uint64_t v) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out[at++] = digits[--n];
  return at;
}

// Copies into `names` (up to `max`) the name of every instance whose library holds
// `address`: instances of one library share its code, so all of them are named (a copy is
// taken at once; a slot re-used meanwhile at worst names an instance wrongly once).
int blame(uintptr_t address, char (*names)[kNameMax + 1], int max) {
  int found = 0;
  for (const Slot& s : g_slots) {
    if (found == max) break;
    const uintptr_t lo = s.lo.load(std::memory_order_acquire);
    if (lo == 0 || address < lo || address >= s.hi.load(std::memory_order_relaxed)) continue;
    size_t n = 0;
    for (; n < kNameMax && s.name[n] != '\0'; ++n) names[found][n] = s.name[n];
    names[found][n] = '\0';
    if (n > 0 && s.lo.load(std::memory_order_acquire) == lo) ++found;
  }
  return found;
}

uintptr_t faultingPc(void* context) {
  const auto* uc = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  static_cast<void>(uc);  // no PC on this architecture: the frames alone are searched
  return 0;
#endif
}

void onFatalSignal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const int fd = g_fd.load();
  if (fd >= 0) {
    constexpr int kMaxBlamed = 8;
    char names[kMaxBlamed][kNameMax + 1];
    int blamed = 0;
    // A signal sent by another process (kill, systemd's watchdog abort) is no fault of the
    // code that happened to run: journaled unattributed.
    const bool sent = info != nullptr && info->si_code <= 0 && info->si_pid != getpid();
    if (!sent) {
      blamed = blame(faultingPc(context), names, kMaxBlamed);
      if (blamed == 0) {
        // Not in plugin code itself (abort() in libc, a throw through the C++ runtime): the
        // nearest plugin frame on this thread's stack. backtrace() was warmed at install, so
        // it does not allocate here.
        void* frames[64];
        const int n = backtrace(frames, 64);
        for (int i = 0; i < n && blamed == 0; ++i)
          blamed = blame(reinterpret_cast<uintptr_t>(frames[i]), names, kMaxBlamed);
      }
    }
    if (blamed == 0) {
      names[0][0] = '-';
      names[0][1] = '\0';
      blamed = 1;
    }
    const char* word = sig == SIGSEGV  ? " SIGSEGV "
                       : sig == SIGBUS ? " SIGBUS "
                       : sig == SIGILL ? " SIGILL "
                       : sig == SIGFPE ? " SIGFPE "
                                       : " SIGABRT ";
    for (int k = 0; k < blamed; ++k) {
      // Each record starts on a line of its own, even after a line a power cut cut short.
      char line[160];
      size_t at = 0;
      line[at++] = '\n';
      at = appendNumber(line, at, static_cast<uint64_t>(time(nullptr)));
      for (const char* p = word; *p != '\0'; ++p) line[at++] = *p;
      for (const char* p = names[k]; *p != '\0' && at < sizeof(line) - 1; ++p) line[at++] = *p;
      line[at++] = '\n';
      if (::write(fd, line, at) != static_cast<ssize_t>(at)) break;  // a dying process: no retry
    }
    ::fsync(fd);
  }
  errno = saved_errno;
  // SA_RESETHAND restored the default action. Raised again (blocked until this returns), the
  // signal ends the process as it would have, core dump included, also when it was sent
  // from outside and nothing would fault again.
  raise(sig);
}

}  // namespace

Status install(const std::filesystem::path& journal) {
  if (Status s = createDirectoriesDurably(journal.parent_path()); !s.ok()) return s;
  const int fd = ::open(journal.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Status::failed("cannot open " + journal.string() + ": " + std::strerror(errno) +
                          " (the crash-loop breaker needs a writable data_dir)");
  const int old = g_fd.exchange(fd);
  if (old >= 0) ::close(old);
  std::call_once(g_installed, [] {
    void* warm[4];
    ignoreResult(backtrace(warm, 4), "loads the unwinder now, not in the handler");
    // An alternate stack for this thread (the signal thread: sigaltstack is per thread), so
    // a stack overflow there is journaled; on other threads one ends the process unjournaled.
    static std::vector<char> alt(64 * 1024);
    stack_t ss{};
    ss.ss_sp = alt.data();
    ss.ss_size = alt.size();
    ignoreResult(sigaltstack(&ss, nullptr), "without it, only a stack overflow goes unblamed");
    struct sigaction sa {};
    sa.sa_sigaction = onFatalSignal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
      ignoreResult(sigaction(sig, &sa, nullptr), "the default action stays: no blame, same end");
  });
  return Status::success();
}

void track(const void* owner, std::string_view name, const void* code) {
  const Range r = rangeOf(reinterpret_cast<uintptr_t>(code));
  if (owner == nullptr || r.lo == 0 || name.empty() || name.size() > kNameMax) return;
  for (Slot& s : g_slots) {
    const void* expected = nullptr;
    if (!s.owner.compare_exchange_strong(expected, owner)) continue;
    std::memcpy(s.name, name.data(), name.size());
    s.name[name.size()] = '\0';
    s.hi.store(r.hi, std::memory_order_relaxed);
    s.lo.store(r.lo, std::memory_order_release);
    return;
  }
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    logWarn("plugin", "more than 128 instances: crashes in the others are not blamed by name",
            {{"instance", std::string(name)}});
}

void untrack(const void* owner) {
  for (Slot& s : g_slots) {
    if (owner == nullptr || s.owner.load() != owner) continue;
    s.lo.store(0, std::memory_order_release);
    s.hi.store(0);
    s.owner.store(nullptr);
  }
}

Verdict read(const std::filesystem::path& journal, int crashes, std::chrono::seconds window,
             int64_t now_unix_s) {
  Verdict v;
  std::ifstream file(journal, std::ios::binary | std::ios::ate);
  if (!file) return v;
  const std::streamoff size = file.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 64 * 1024);
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (start > 0) text.erase(0, text.find('\n') + 1);  // a line cut by the window
  if (size > 256 * 1024) {
    // Years of restarts: keep the tail the verdict reads (broken marks are re-written at
    // every boot that keeps an instance broken, so they stay inside it).
    writeFileDurably(journal, text, 0640)
        .ignoreError("a long journal is still read from its tail; compacting is a nicety");
  }
  std::map<std::string, int> recent;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int64_t at = 0;
    std::string word, who, extra;
    if (!(fields >> at >> word >> who) || (fields >> extra)) continue;  // damaged: skipped
    if (word == "clear") {
      recent.erase(who);
      v.broken.erase(who);
    } else if (word == "broken") {
      v.broken.insert(who);
    } else if (word.rfind("SIG", 0) == 0 && now_unix_s - at <= window.count() &&
               at <= now_unix_s + 60) {
      if (who == "-")
        ++v.unattributed;
      else if (++recent[who] >= crashes)
        v.broken.insert(who);
    }
  }
  return v;
}

Status mark(const std::filesystem::path& journal, std::string_view word, std::string_view name,
            int64_t now_unix_s) {
  const int fd = ::open(journal.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Status::failed("cannot open " + journal.string() + ": " + std::strerror(errno));
  const std::string line =
      std::to_string(now_unix_s) + " " + std::string(word) + " " + std::string(name) + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::success() : Status::failed("cannot write " + journal.string());
}

}  // namespace storegate::crash
