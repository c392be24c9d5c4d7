// The plugin signature policy, as one object the plugin loader is built with: every path
// that opens a library (start, reload, validate, --check-config, swap, upload, listing)
// asks it first, so none can open an unsigned library while the policy is on.
//
// Thread-safe: the keys can be reloaded (SIGHUP) while other threads check libraries; a
// check sees either the old keys or the new ones, never a mix.
#pragma once

#include <filesystem>
#include <memory>

#include "common/mutex.hpp"
#include "common/status.hpp"
#include "package/signing.hpp"

namespace storegate::package {

class TrustPolicy {
 public:
  // `require` off: every library may load (a package that cannot be verified is logged).
  // On: the keys in `keys_dir` are loaded; none, or an unreadable one, is an error that
  // names the directory and what to do.
  static Status make(bool require, const std::filesystem::path& keys_dir,
                     std::shared_ptr<TrustPolicy>& out);

  [[nodiscard]] bool required() const { return required_; }
  [[nodiscard]] size_t keys() const;
  // A library may be opened: always when not required, else when its `.sgm` verifies and
  // matches `bytes` (what the loader read and will load; see PluginLibrary::open).
  [[nodiscard]] Status checkLibrary(const std::filesystem::path& library,
                                    const std::string& bytes) const;
  // A package may be installed. Without the policy, an unverifiable package is accepted
  // with a warning in the log (it only has to be the plugin named).
  [[nodiscard]] Status checkPackage(const Package& p, const std::string& expected_name) const;
  // Re-reads the keys directory. On error the keys in force stay and the status says why.
  Status reload();

 private:
  TrustPolicy(bool required, std::filesystem::path dir)
      : required_(required), dir_(std::move(dir)) {}
  [[nodiscard]] std::shared_ptr<const TrustStore> store() const;

  const bool required_;
  const std::filesystem::path dir_;
  mutable Mutex mu_;
  std::shared_ptr<const TrustStore> store_ SG_GUARDED_BY(mu_);
};

}  // namespace storegate::package
