#include "package/trust_policy.hpp"

#include "common/log.hpp"

namespace storegate::package {
namespace {
Status loadKeys(const std::filesystem::path& dir, std::shared_ptr<const TrustStore>& out) {
  auto store = std::make_shared<TrustStore>();
  if (Status s = store->load(dir); !s.ok())
    return Status::invalid("plugin_trust.trusted_keys: " + s.message);
  if (store->size() == 0)
    return Status::invalid("plugin_trust.require_signature is on but " + dir.string() +
                           " holds no *.pub key: no plugin could load (add the release key, "
                           "or turn the policy off)");
  out = std::move(store);
  return Status::success();
}
}  // namespace

Status TrustPolicy::make(bool require, const std::filesystem::path& keys_dir,
                         std::shared_ptr<TrustPolicy>& out) {
  std::shared_ptr<TrustPolicy> policy(new TrustPolicy(require, keys_dir));
  if (require) {
    std::shared_ptr<const TrustStore> store;
    if (Status s = loadKeys(keys_dir, store); !s.ok()) return s;
    MutexLock lock(policy->mu_);
    policy->store_ = std::move(store);
  } else {
    // Verification without the policy still uses whatever keys there are.
    auto store = std::make_shared<TrustStore>();
    store->load(keys_dir).ignoreError("optional without the policy: no keys, nothing verified");
    MutexLock lock(policy->mu_);
    policy->store_ = std::move(store);
  }
  out = std::move(policy);
  return Status::success();
}

std::shared_ptr<const TrustStore> TrustPolicy::store() const {
  MutexLock lock(mu_);
  return store_;
}

size_t TrustPolicy::keys() const {
  return store()->size();
}

Status TrustPolicy::checkLibrary(const std::filesystem::path& library,
                                 const std::string& bytes) const {
  if (!required_) return Status::success();
  return store()->verifyInstalled(library, bytes);
}

Status TrustPolicy::checkPackage(const Package& p, const std::string& expected_name) const {
  if (required_) return store()->verify(p, expected_name);
  if (p.manifest.name != expected_name)
    return Status::invalid("the package holds plugin " + p.manifest.name + ", not " +
                           expected_name);
  if (Status s = store()->verify(p, expected_name); !s.ok())
    logWarn("plugin",
            "accepting a plugin package that cannot be verified (plugin_trust.require_signature "
            "is off on this router)",
            {{"plugin", expected_name}, {"version", p.manifest.version}, {"why", s.message}});
  return Status::success();
}

Status TrustPolicy::reload() {
  std::shared_ptr<const TrustStore> fresh;
  if (required_) {
    if (Status s = loadKeys(dir_, fresh); !s.ok()) return s;
  } else {
    auto store = std::make_shared<TrustStore>();
    store->load(dir_).ignoreError("optional without the policy");
    fresh = std::move(store);
  }
  const size_t n = fresh->size();
  {
    MutexLock lock(mu_);
    store_ = std::move(fresh);
  }
  if (required_) logInfo("plugin", "trusted keys reloaded", {{"trusted_keys", std::to_string(n)}});
  return Status::success();
}

}  // namespace storegate::package
