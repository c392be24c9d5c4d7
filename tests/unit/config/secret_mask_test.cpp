#include "config/secret_mask.hpp"

#include <gtest/gtest.h>

#include <string>

namespace storegate {
namespace {

TEST(SecretMask, KnownValuesAndSecretKeysAreMaskedCommentsAndLayoutKept) {
  const std::string yaml =
      "store_id: s1  # the store\n"
      "admin:\n"
      "  tokens_file: tokens\n"
      "plugins:\n"
      "  - name: till\n"
      "    plugin: pos_webhook\n"
      "    config: {listen: \"127.0.0.1:8480\", secret: till-secret-0123456789, path: /r}\n"
      "  - name: cloud\n"
      "    plugin: platform_http\n"
      "    config:\n"
      "      api_token: \"tok \\\" en\"   # rotate monthly\n"
      "      privacy: {hmac_key: 'k-0123456789abcdef'}\n"
      "      password: ${secret:cloud_password}\n"
      "      extra_header: Bearer sk-live-000111222\n";
  const std::string masked = maskSecrets(yaml, {"sk-live-000111222", "ab"});
  EXPECT_EQ(masked.find("till-secret"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("tok \\\" en"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("k-0123456789abcdef"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("sk-live"), std::string::npos) << masked;
  EXPECT_NE(masked.find("secret: ***, path: /r}"), std::string::npos) << masked;
  EXPECT_NE(masked.find("api_token: ***   # rotate monthly"), std::string::npos) << masked;
  EXPECT_NE(masked.find("password: ${secret:cloud_password}"), std::string::npos) << masked;
  EXPECT_NE(masked.find("tokens_file: tokens"), std::string::npos) << masked;
  EXPECT_NE(masked.find("store_id: s1  # the store"), std::string::npos) << masked;
  EXPECT_NE(masked.find("listen: \"127.0.0.1:8480\""), std::string::npos) << masked;
  // A two-letter known value would mask unrelated text: left alone.
  EXPECT_NE(masked.find("name: cloud"), std::string::npos);
}

TEST(SecretMask, HostileTextNeverThrowsAndStaysBounded) {
  const std::string cases[] = {"",
                               ":",
                               "secret:",
                               "secret: \"unterminated",
                               "secret: 'x\n",
                               std::string(100'000, '"'),
                               std::string(100'000, '{') + "token: x",
                               "a:b:c secret:x",
                               std::string("secret: \xff\xfe\x00 z", 14)};
  for (const std::string& c : cases) {
    EXPECT_LE(maskSecrets(c, {}).size(), c.size() + 3) << c.substr(0, 40);
    EXPECT_EQ(maskSecrets(c, {c}).find(c.size() >= 4 ? c : "\x01"), std::string::npos);
  }
  EXPECT_EQ(maskSecrets("secret: \"unterminated", {}), "secret: ***");
}

}  // namespace
}  // namespace storegate
