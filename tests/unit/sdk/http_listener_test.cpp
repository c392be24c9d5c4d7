// The listener's per-client key: caps count IPv4 addresses and IPv6 /64s.
#include "storegate/http_listener.hpp"

#include <gtest/gtest.h>

namespace storegate::sdk::http {

TEST(ListenerAddressKey, IPv6CountsPerSlash64AndMappedIPv4AsIPv4) {
  using Poco::Net::IPAddress;
  EXPECT_EQ(detail::addressKey(IPAddress("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(detail::addressKey(IPAddress("::ffff:192.0.2.7")), "192.0.2.7");
  const auto a = detail::addressKey(IPAddress("2001:db8:1:2::1"));
  EXPECT_EQ(a, "2001:0db8:0001:0002::/64");
  EXPECT_EQ(detail::addressKey(IPAddress("2001:db8:1:2:ffff:ffff:ffff:fffe")), a)
      << "one host's /64 is one client";
  EXPECT_NE(detail::addressKey(IPAddress("2001:db8:1:3::1")), a);
  EXPECT_EQ(detail::addressKey(IPAddress("::1")), "0000:0000:0000:0000::/64");
}

TEST(ListenerHeaders, NamesMustBeTokensAndValuesFreeOfControlCharacters) {
  EXPECT_TRUE(detail::isToken("Content-Length"));
  EXPECT_TRUE(detail::isToken("X-Custom_1.2~"));
  for (const char* bad : {"", "Content-Length ", "X(y)", "a:b", "X\x01", "\xc3\xa9"})
    EXPECT_FALSE(detail::isToken(bad)) << bad;
  EXPECT_TRUE(detail::isCleanValue("a\tb c, d; \xc3\xa9"));
  for (const std::string& bad :
       {std::string("a\x01"), std::string("a\x7f"), std::string("a\rb"), std::string("a\0b", 3)})
    EXPECT_FALSE(detail::isCleanValue(bad));
}

}  // namespace storegate::sdk::http
