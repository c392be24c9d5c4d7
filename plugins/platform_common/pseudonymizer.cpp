#include "pseudonymizer.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace storegate::plugins::platform {

Pseudonymizer::Pseudonymizer(std::string key, std::vector<std::string> fields)
    : key_(std::move(key)), fields_(std::move(fields)) {
  for (const std::string& f : fields_) quoted_.push_back("\"" + f + "\"");
}

std::string Pseudonymizer::pseudonym(std::string_view id) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(id.data()), id.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned i = 0; i < 16 && i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

bool Pseudonymizer::mayApply(std::string_view json) const {
  if (!enabled()) return false;
  return std::any_of(quoted_.begin(), quoted_.end(),
                     [&](const std::string& q) { return json.find(q) != std::string_view::npos; });
}

namespace {
void rewrite(nlohmann::json& node, const Pseudonymizer& p, const std::vector<std::string>& fields) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const bool listed = std::find(fields.begin(), fields.end(), it.key()) != fields.end();
      if (listed && it->is_string()) {
        *it = p.pseudonym(it->get_ref<const std::string&>());
      } else if (listed && it->is_number()) {
        *it = p.pseudonym(it->dump());
      } else {
        rewrite(*it, p, fields);
      }
    }
  } else if (node.is_array()) {
    for (auto& child : node) rewrite(child, p, fields);
  }
}
}  // namespace

std::string Pseudonymizer::apply(std::string_view json) const {
  if (!mayApply(json)) return std::string(json);
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded()) return std::string(json);
  rewrite(doc, *this, fields_);
  return doc.dump();
}

}  // namespace storegate::plugins::platform
