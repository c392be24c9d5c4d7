// Per-type quota policy lookup and names.
#include "buffer/buffer_options.hpp"

#include "common/glob.hpp"

namespace storegate {

QuotaPolicy BufferOptions::policyFor(std::string_view type) const {
  for (const TypePolicy& p : type_policies) {
    if (globMatch(p.pattern, type)) return p.policy;
  }
  return quota_policy;
}

const char* toString(QuotaPolicy p) {
  return p == QuotaPolicy::Block ? "block" : "drop_oldest";
}

const char* toString(Durability d) {
  switch (d) {
    case Durability::Sync:
      return "sync";
    case Durability::Batch:
      return "batch";
    case Durability::None:
      return "none";
  }
  return "sync";
}

}  // namespace storegate
