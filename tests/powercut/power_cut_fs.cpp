// storegate-power-cut-fs: a filesystem for power-cut tests (the technique of LazyFS and
// CrashMonkey). Everything lives in memory, and a write counts only once it is synced: a
// file's bytes by fsync/fdatasync of that file, a directory's entries (creates, renames,
// unlinks) by fsync of that directory. SIGUSR1 cuts the power: what was not synced is thrown
// away and every call fails with EIO until SIGUSR2 brings the power back. `kill -9` leaves the
// page cache intact; this does not, so it shows what a router loses when the plug is pulled.
// SIGRTMIN freezes the disk (every call waits, as on a dying SD card); SIGRTMIN+2 makes every
// fsync fail with EIO while writes still land (a disk reporting write-back errors);
// SIGRTMIN+1 ends both.
//
//   storegate-power-cut-fs MOUNTPOINT
//
// Runs in the foreground until SIGTERM (unmounts). Prints one line per event on stdout:
// "mounted", "cut N unsynced_files=F unsynced_dirs=D", "up N", "frozen", "syncs failing",
// "normal". Root mounts directly; anyone
// else needs fusermount3.
#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.hpp"

namespace {

using storegate::Mutex;
using storegate::MutexLock;

struct Node {
  Node(bool is_dir, mode_t perm, uid_t owner, gid_t group)
      : dir(is_dir), mode(perm), durable_mode(perm), uid(owner), gid(group) {
    ::clock_gettime(CLOCK_REALTIME, &mtime);
  }
  const bool dir;
  mode_t mode;
  mode_t durable_mode;
  uid_t uid;
  gid_t gid;
  timespec mtime{};
  // Files: the bytes as written, and as they were at the last fsync. `dirty_from` is the
  // lowest offset changed since then, so an fsync of a growing log copies only its tail.
  std::string data;
  std::string durable_data;
  size_t dirty_from = std::string::npos;
  // Directories: the entries now, and as they were at the last fsync of the directory.
  std::map<std::string, std::shared_ptr<Node>> entries;
  std::map<std::string, std::shared_ptr<Node>> durable_entries;

  void touch() { ::clock_gettime(CLOCK_REALTIME, &mtime); }
  void changedFrom(size_t offset) { dirty_from = std::min(dirty_from, offset); }
  void sync() {
    if (dir) {
      durable_entries = entries;
    } else if (dirty_from != std::string::npos || durable_data.size() != data.size()) {
      const size_t from = std::min({dirty_from, data.size(), durable_data.size()});
      durable_data.resize(data.size());
      std::copy(data.begin() + static_cast<std::ptrdiff_t>(from), data.end(),
                durable_data.begin() + static_cast<std::ptrdiff_t>(from));
      dirty_from = std::string::npos;
    }
    durable_mode = mode;
  }
};

struct Handle {
  std::shared_ptr<Node> node;
  int flags = 0;
};

// One lock for the whole tree: the tests need correctness, not parallel throughput.
Mutex g_mu;
std::shared_ptr<Node> g_root SG_GUARDED_BY(g_mu);
bool g_down SG_GUARDED_BY(g_mu) = false;
bool g_frozen SG_GUARDED_BY(g_mu) = false;
bool g_syncs_fail SG_GUARDED_BY(g_mu) = false;
std::condition_variable_any g_thawed;
uint64_t g_cuts SG_GUARDED_BY(g_mu) = 0;
std::map<uint64_t, Handle> g_handles SG_GUARDED_BY(g_mu);
uint64_t g_next_handle SG_GUARDED_BY(g_mu) = 1;

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const size_t j = path.find('/', i);
    const size_t end = j == std::string_view::npos ? path.size() : j;
    if (end > i) parts.push_back(path.substr(i, end - i));
    i = end;
  }
  return parts;
}

// The node at `path`, or null with `err` set.
std::shared_ptr<Node> resolve(const char* path, int& err) SG_REQUIRES(g_mu) {
  std::shared_ptr<Node> n = g_root;
  for (std::string_view part : splitPath(path)) {
    if (!n->dir) {
      err = ENOTDIR;
      return nullptr;
    }
    auto it = n->entries.find(std::string(part));
    if (it == n->entries.end()) {
      err = ENOENT;
      return nullptr;
    }
    n = it->second;
  }
  return n;
}

// The directory holding `path` and the last name in it.
std::shared_ptr<Node> parentOf(const char* path, std::string& name, int& err) SG_REQUIRES(g_mu) {
  const std::string_view p(path);
  const size_t slash = p.find_last_of('/');
  name = std::string(p.substr(slash + 1));
  if (name.empty() || name == "." || name == "..") {
    err = EINVAL;
    return nullptr;
  }
  const std::string dir(slash == 0 ? std::string_view("/") : p.substr(0, slash));
  auto parent = resolve(dir.c_str(), err);
  if (parent && !parent->dir) {
    err = ENOTDIR;
    return nullptr;
  }
  return parent;
}

// The node an open file refers to, else the one at `path`.
std::shared_ptr<Node> nodeFor(const char* path, const fuse_file_info* fi, int& err)
    SG_REQUIRES(g_mu) {
  if (fi != nullptr && fi->fh != 0) {
    auto it = g_handles.find(fi->fh);
    if (it != g_handles.end()) return it->second.node;
  }
  if (path == nullptr) {
    err = EBADF;
    return nullptr;
  }
  return resolve(path, err);
}

uint64_t addHandle(std::shared_ptr<Node> node, int flags) SG_REQUIRES(g_mu) {
  const uint64_t h = g_next_handle++;
  g_handles[h] = Handle{std::move(node), flags};
  return h;
}

// Holds a call while the disk is frozen (the wait releases and retakes g_mu).
void waitWhileFrozen() SG_REQUIRES(g_mu) SG_NO_THREAD_SAFETY_ANALYSIS {
  g_thawed.wait(g_mu, [] { return !g_frozen; });
}

// Every call but release starts here: a frozen disk holds it; after a cut, the disk is gone
// until the power is back.
#define POWERED()        \
  MutexLock lock_(g_mu); \
  waitWhileFrozen();     \
  if (g_down) return -EIO

void fillStat(const Node& n, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_mode = (n.dir ? S_IFDIR : S_IFREG) | (n.mode & 07777);
  st->st_nlink = n.dir ? 2 : 1;
  st->st_uid = n.uid;
  st->st_gid = n.gid;
  st->st_size = n.dir ? 4096 : static_cast<off_t>(n.data.size());
  st->st_blksize = 4096;
  st->st_blocks = (st->st_size + 511) / 512;
  st->st_mtim = n.mtime;
  st->st_ctim = n.mtime;
  st->st_atim = n.mtime;
}

void* fsInit(fuse_conn_info*, fuse_config* cfg) {
  // No kernel caching of names, attributes or pages: after a cut, the kernel must see the
  // tree as it was reverted, not as it remembers it.
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->hard_remove = 1;  // unlink really unlinks; open handles keep the node alive
  cfg->nullpath_ok = 1;
  std::printf("mounted\n");
  std::fflush(stdout);
  return nullptr;
}

int fsGetattr(const char* path, struct stat* st, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  fillStat(*n, st);
  return 0;
}

int fsAccess(const char* path, int) {
  POWERED();
  int err = 0;
  return resolve(path, err) ? 0 : -err;
}

int fsReaddir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info* fi,
              fuse_readdir_flags) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  if (!n->dir) return -ENOTDIR;
  fill(buf, ".", nullptr, 0, fuse_fill_dir_flags{});
  fill(buf, "..", nullptr, 0, fuse_fill_dir_flags{});
  for (const auto& [name, child] : n->entries) {
    struct stat st;
    fillStat(*child, &st);
    if (fill(buf, name.c_str(), &st, 0, fuse_fill_dir_flags{}) != 0) break;
  }
  return 0;
}

int makeNode(const char* path, bool dir, mode_t mode, std::shared_ptr<Node>* made)
    SG_REQUIRES(g_mu) {
  int err = 0;
  std::string name;
  auto parent = parentOf(path, name, err);
  if (!parent) return -err;
  if (parent->entries.count(name) != 0) return -EEXIST;
  const fuse_context* caller = fuse_get_context();
  auto n = std::make_shared<Node>(dir, mode & 07777, caller->uid, caller->gid);
  parent->entries[name] = n;
  parent->touch();
  if (made != nullptr) *made = n;
  return 0;
}

int fsMkdir(const char* path, mode_t mode) {
  POWERED();
  return makeNode(path, true, mode, nullptr);
}

int fsMknod(const char* path, mode_t mode, dev_t) {
  POWERED();
  if (!S_ISREG(mode)) return -EPERM;
  return makeNode(path, false, mode, nullptr);
}

int fsCreate(const char* path, mode_t mode, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = resolve(path, err);
  if (n) {
    if ((fi->flags & O_EXCL) != 0) return -EEXIST;
    if (n->dir) return -EISDIR;
    if ((fi->flags & O_TRUNC) != 0) {
      n->data.clear();
      n->changedFrom(0);
    }
  } else {
    const int rc = makeNode(path, false, mode, &n);
    if (rc != 0) return rc;
  }
  fi->fh = addHandle(n, fi->flags);
  fi->direct_io = 1;
  return 0;
}

int fsOpen(const char* path, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = resolve(path, err);
  if (!n) return -err;
  if (n->dir) return -EISDIR;
  if ((fi->flags & O_TRUNC) != 0 && (fi->flags & O_ACCMODE) != O_RDONLY) {
    n->data.clear();
    n->changedFrom(0);
  }
  fi->fh = addHandle(n, fi->flags);
  fi->direct_io = 1;
  return 0;
}

int fsRead(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(nullptr, fi, err);
  if (!n) return -err;
  const auto pos = static_cast<size_t>(off);
  if (pos >= n->data.size()) return 0;
  const size_t len = std::min(size, n->data.size() - pos);
  std::memcpy(buf, n->data.data() + pos, len);
  return static_cast<int>(len);
}

int fsWrite(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  POWERED();
  auto it = g_handles.find(fi->fh);
  if (it == g_handles.end()) return -EBADF;
  Node& n = *it->second.node;
  // The kernel's idea of the end of an O_APPEND file may be stale after a cut; this is not.
  const size_t pos = (it->second.flags & O_APPEND) != 0 ? n.data.size() : static_cast<size_t>(off);
  if (pos + size > n.data.size()) n.data.resize(pos + size);
  std::memcpy(n.data.data() + pos, buf, size);
  n.changedFrom(pos);
  n.touch();
  return static_cast<int>(size);
}

int fsTruncate(const char* path, off_t size, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  if (n->dir) return -EISDIR;
  const auto len = static_cast<size_t>(size);
  n->changedFrom(std::min(len, n->data.size()));
  n->data.resize(len);
  n->touch();
  return 0;
}

int fsFallocate(const char*, int mode, off_t off, off_t len, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(nullptr, fi, err);
  if (!n) return -err;
  if ((mode & ~FALLOC_FL_KEEP_SIZE) != 0) return -EOPNOTSUPP;
  const auto end = static_cast<size_t>(off + len);
  if ((mode & FALLOC_FL_KEEP_SIZE) == 0 && end > n->data.size()) {
    n->changedFrom(n->data.size());
    n->data.resize(end);
  }
  return 0;
}

// unlink and rmdir: the entry goes now; whether it stays gone is up to the directory's fsync.
int removeEntry(const char* path, bool dir) SG_REQUIRES(g_mu) {
  int err = 0;
  std::string name;
  auto parent = parentOf(path, name, err);
  if (!parent) return -err;
  auto it = parent->entries.find(name);
  if (it == parent->entries.end()) return -ENOENT;
  if (it->second->dir != dir) return dir ? -ENOTDIR : -EISDIR;
  if (dir && !it->second->entries.empty()) return -ENOTEMPTY;
  parent->entries.erase(it);
  parent->touch();
  return 0;
}

int fsUnlink(const char* path) {
  POWERED();
  return removeEntry(path, false);
}

int fsRmdir(const char* path) {
  POWERED();
  return removeEntry(path, true);
}

int fsRename(const char* from, const char* to, unsigned int flags) {
  POWERED();
  if ((flags & ~RENAME_NOREPLACE) != 0) return -EINVAL;
  int err = 0;
  std::string from_name, to_name;
  auto from_dir = parentOf(from, from_name, err);
  if (!from_dir) return -err;
  auto to_dir = parentOf(to, to_name, err);
  if (!to_dir) return -err;
  auto src = from_dir->entries.find(from_name);
  if (src == from_dir->entries.end()) return -ENOENT;
  std::shared_ptr<Node> node = src->second;
  auto dst = to_dir->entries.find(to_name);
  if (dst != to_dir->entries.end()) {
    if (dst->second == node) return 0;
    if ((flags & RENAME_NOREPLACE) != 0) return -EEXIST;
    if (dst->second->dir != node->dir) return node->dir ? -ENOTDIR : -EISDIR;
    if (dst->second->dir && !dst->second->entries.empty()) return -ENOTEMPTY;
  }
  from_dir->entries.erase(from_name);
  to_dir->entries[to_name] = node;
  from_dir->touch();
  to_dir->touch();
  return 0;
}

int fsLink(const char* from, const char* to) {
  POWERED();
  int err = 0;
  auto node = resolve(from, err);
  if (!node) return -err;
  if (node->dir) return -EPERM;
  std::string name;
  auto parent = parentOf(to, name, err);
  if (!parent) return -err;
  if (parent->entries.count(name) != 0) return -EEXIST;
  parent->entries[name] = node;
  parent->touch();
  return 0;
}

int fsChmod(const char* path, mode_t mode, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  n->mode = mode & 07777;
  return 0;
}

int fsChown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  if (uid != static_cast<uid_t>(-1)) n->uid = uid;
  if (gid != static_cast<gid_t>(-1)) n->gid = gid;
  return 0;
}

int fsUtimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  if (tv == nullptr || tv[1].tv_nsec == UTIME_NOW) {
    n->touch();
  } else if (tv[1].tv_nsec != UTIME_OMIT) {
    n->mtime = tv[1];
  }
  return 0;
}

size_t usedBytes(const Node& n, std::set<const Node*>& seen) {
  if (!seen.insert(&n).second) return 0;
  size_t total = n.data.size() + n.durable_data.size();
  for (const auto& [name, child] : n.entries) total += usedBytes(*child, seen);
  return total;
}

int fsStatfs(const char*, struct statvfs* st) {
  POWERED();
  std::set<const Node*> seen;
  const uint64_t used = usedBytes(*g_root, seen) / 4096 + 1;
  std::memset(st, 0, sizeof(*st));
  st->f_bsize = 4096;
  st->f_frsize = 4096;
  st->f_blocks = uint64_t(1) << 20;  // 4 GiB of pretend flash
  st->f_bfree = st->f_blocks > used ? st->f_blocks - used : 0;
  st->f_bavail = st->f_bfree;
  st->f_files = uint64_t(1) << 20;
  st->f_ffree = st->f_files - seen.size();
  st->f_namemax = 255;
  return 0;
}

int fsFlush(const char*, fuse_file_info*) {
  return 0;
}

int fsRelease(const char*, fuse_file_info* fi) {
  MutexLock lock(g_mu);  // after a cut too: the kernel closes what was open
  g_handles.erase(fi->fh);
  return 0;
}

int fsFsync(const char* path, int, fuse_file_info* fi) {
  POWERED();
  if (g_syncs_fail) return -EIO;
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  n->sync();
  return 0;
}

int fsOpendir(const char* path, fuse_file_info* fi) {
  POWERED();
  int err = 0;
  auto n = resolve(path, err);
  if (!n) return -err;
  if (!n->dir) return -ENOTDIR;
  fi->fh = addHandle(n, fi->flags);
  return 0;
}

int fsFsyncdir(const char* path, int, fuse_file_info* fi) {
  POWERED();
  if (g_syncs_fail) return -EIO;
  int err = 0;
  auto n = nodeFor(path, fi, err);
  if (!n) return -err;
  n->sync();
  return 0;
}

// Counts what a cut throws away (for the log line), then puts every reachable node back to
// its synced state. A node reachable only through unsynced entries is gone.
void countUnsynced(const Node& n, std::set<const Node*>& seen, int& files, int& dirs) {
  if (!seen.insert(&n).second) return;
  if (n.dir) {
    if (n.entries != n.durable_entries) ++dirs;
    for (const auto& [name, child] : n.entries) countUnsynced(*child, seen, files, dirs);
  } else if (n.dirty_from != std::string::npos || n.data.size() != n.durable_data.size()) {
    ++files;
  }
}

void revert(Node& n, std::set<Node*>& seen) {
  if (!seen.insert(&n).second) return;
  n.mode = n.durable_mode;
  if (n.dir) {
    n.entries = n.durable_entries;
    for (auto& [name, child] : n.entries) revert(*child, seen);
  } else {
    n.data = n.durable_data;
    n.dirty_from = std::string::npos;
  }
}

void powerControl(sigset_t signals) {
  // SIGTERM and the like must reach a FUSE thread (it ends the loop), never this one.
  sigset_t others;
  sigemptyset(&others);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&others, sig);
  pthread_sigmask(SIG_BLOCK, &others, nullptr);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    MutexLock lock(g_mu);
    if (sig == SIGUSR1 && !g_down) {
      int files = 0;
      int dirs = 0;
      std::set<const Node*> counted;
      countUnsynced(*g_root, counted, files, dirs);
      std::set<Node*> seen;
      revert(*g_root, seen);
      g_down = true;
      ++g_cuts;
      std::printf("cut %llu unsynced_files=%d unsynced_dirs=%d\n",
                  static_cast<unsigned long long>(g_cuts), files, dirs);
    } else if (sig == SIGUSR2 && g_down) {
      g_down = false;
      std::printf("up %llu\n", static_cast<unsigned long long>(g_cuts));
    } else if (sig == SIGRTMIN && !g_frozen) {
      g_frozen = true;
      std::printf("frozen\n");
    } else if (sig == SIGRTMIN + 2 && !g_syncs_fail) {
      g_syncs_fail = true;
      std::printf("syncs failing\n");
    } else if (sig == SIGRTMIN + 1 && (g_frozen || g_syncs_fail)) {
      g_frozen = false;
      g_syncs_fail = false;
      g_thawed.notify_all();
      std::printf("normal\n");
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MOUNTPOINT\n", argv[0]);
    return 2;
  }
  {
    MutexLock lock(g_mu);
    g_root = std::make_shared<Node>(true, 0755, ::getuid(), ::getgid());
    // The root exists before anything is synced, as a formatted disk's root does.
    g_root->sync();
  }

  // The power switch is a thread of its own, so a cut lands while FUSE threads wait on
  // the kernel; every FUSE thread inherits the blocked mask.
  sigset_t power;
  sigemptyset(&power);
  sigaddset(&power, SIGUSR1);
  sigaddset(&power, SIGUSR2);
  sigaddset(&power, SIGRTMIN);
  sigaddset(&power, SIGRTMIN + 1);
  sigaddset(&power, SIGRTMIN + 2);
  pthread_sigmask(SIG_BLOCK, &power, nullptr);
  std::thread(powerControl, power).detach();

  fuse_operations ops{};
  ops.init = fsInit;
  ops.getattr = fsGetattr;
  ops.access = fsAccess;
  ops.readdir = fsReaddir;
  ops.mkdir = fsMkdir;
  ops.mknod = fsMknod;
  ops.create = fsCreate;
  ops.open = fsOpen;
  ops.read = fsRead;
  ops.write = fsWrite;
  ops.truncate = fsTruncate;
  ops.fallocate = fsFallocate;
  ops.unlink = fsUnlink;
  ops.rmdir = fsRmdir;
  ops.rename = fsRename;
  ops.link = fsLink;
  ops.chmod = fsChmod;
  ops.chown = fsChown;
  ops.utimens = fsUtimens;
  ops.statfs = fsStatfs;
  ops.flush = fsFlush;
  ops.release = fsRelease;
  ops.fsync = fsFsync;
  ops.opendir = fsOpendir;
  ops.releasedir = fsRelease;
  ops.fsyncdir = fsFsyncdir;

  std::vector<char*> args = {argv[0], const_cast<char*>("-f"), const_cast<char*>("-o"),
                             const_cast<char*>("fsname=storegate-power-cut"), argv[1]};
  return fuse_main(static_cast<int>(args.size()), args.data(), &ops, nullptr);
}
