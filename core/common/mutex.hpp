// A mutex that clang's -Wthread-safety understands (the ABSL_GUARDED_BY idea): state a
// mutex guards is declared SG_GUARDED_BY(mu_), and clang proves at compile time that every
// access holds it. With other compilers the annotations are empty and this is std::mutex.
#pragma once

#include <mutex>

#if defined(__clang__)
#define SG_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SG_THREAD_ANNOTATION(x)
#endif

#define SG_CAPABILITY(x) SG_THREAD_ANNOTATION(capability(x))
#define SG_SCOPED_CAPABILITY SG_THREAD_ANNOTATION(scoped_lockable)
#define SG_GUARDED_BY(x) SG_THREAD_ANNOTATION(guarded_by(x))
#define SG_PT_GUARDED_BY(x) SG_THREAD_ANNOTATION(pt_guarded_by(x))
#define SG_REQUIRES(...) SG_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define SG_EXCLUDES(...) SG_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define SG_ACQUIRE(...) SG_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SG_RELEASE(...) SG_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define SG_TRY_ACQUIRE(...) SG_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// For the few functions whose locking the analysis cannot follow (condition waits).
#define SG_NO_THREAD_SAFETY_ANALYSIS SG_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace storegate {

class SG_CAPABILITY("mutex") Mutex {
 public:
  void lock() SG_ACQUIRE() { mu_.lock(); }
  void unlock() SG_RELEASE() { mu_.unlock(); }
  [[nodiscard]] bool try_lock() SG_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // For condition variables (std::condition_variable_any waits on the Mutex itself).
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds a Mutex for a scope.
class SG_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) SG_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() SG_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace storegate
