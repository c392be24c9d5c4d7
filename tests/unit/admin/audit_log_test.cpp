#include "admin/audit_log.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace storegate::admin {
namespace {

TEST(AuditLog, RotatesAtItsCapKeepsThreeAndCutsLongFields) {
  test::TempDir dir;
  const auto file = dir / "audit.log";
  AuditLog audit(file, 2048, 3);
  for (int i = 0; i < 200; ++i)
    audit.record("ops", "admin", "127.0.0.1", "PUT",
                 "/v1/plugins/x/config" + std::string(5000, 'p'), 400,
                 "line " + std::to_string(i) + " " + std::string(5000, 'd'));
  for (const char* name : {"audit.log", "audit.log.1", "audit.log.2", "audit.log.3"}) {
    ASSERT_TRUE(std::filesystem::exists(dir / name)) << name;
    EXPECT_LT(std::filesystem::file_size(dir / name), 2048u + 1024u) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "audit.log.4"));
  EXPECT_NE(test::readFile(file).find("line 199 "), std::string::npos) << "the newest is kept";
  for (const std::string& line : test::readLines(file)) EXPECT_LT(line.size(), 1000u);
}

}  // namespace
}  // namespace storegate::admin
