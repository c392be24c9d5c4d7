// The daemon's log file on a router's flash: rotated at its size, a bounded number kept.
#include <gtest/gtest.h>

#include "common/log.hpp"
#include "config/gateway_config.hpp"
#include "support/test_support.hpp"

namespace storegate {

TEST(LogRotation, TheFileIsRotatedAtItsSizeAndOnlyKeepFilesAreKept) {
  test::TempDir dir;
  LogOptions o;
  o.console = false;
  o.file = (dir / "daemon.log").string();
  o.max_file_size = 64 << 10;
  o.keep_files = 2;
  ASSERT_FALSE(Logger::instance().configure(o));
  const std::string filler(200, 'x');
  for (int i = 0; i < 2000; ++i)
    logInfo("test", "line", {{"n", std::to_string(i)}, {"filler", filler}});
  ASSERT_FALSE(Logger::instance().configure(LogOptions{}));  // back to stderr only

  uint64_t total = 0;
  for (const char* name : {"daemon.log", "daemon.log.1", "daemon.log.2"}) {
    ASSERT_TRUE(std::filesystem::exists(dir / name)) << name;
    const auto size = std::filesystem::file_size(dir / name);
    EXPECT_LE(size, 64u << 10) << name;
    total += size;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "daemon.log.3"));
  EXPECT_GT(total, 150u << 10);
  // The newest line is in the live file, and nothing was lost inside what was kept.
  EXPECT_NE(test::readFile(dir / "daemon.log").find("n=1999"), std::string::npos);
  EXPECT_EQ(test::readFile(dir / "daemon.log.1").find("n=1999"), std::string::npos);
}

TEST(LogRotation, SizesBelowTheFloorAndCountsOutOfRangeAreConfigErrors) {
  test::TempDir dir;
  for (const std::string& bad :
       {std::string("{max_file_size: 1KiB}"), std::string("{keep_files: 0}"),
        std::string("{keep_files: 99}"), std::string("{max_file_size: lots}")}) {
    test::writeFile(dir / "c.yaml", "store_id: s\ndata_dir: d\nlog: " + bad + "\n");
    ConfigErrors errors;
    EXPECT_FALSE(loadConfigFile(dir / "c.yaml", errors)) << bad;
    ASSERT_FALSE(errors.empty()) << bad;
    EXPECT_NE(errors[0].text().find("log."), std::string::npos) << errors[0].text();
  }
  test::writeFile(dir / "c.yaml",
                  "store_id: s\ndata_dir: d\nlog: {max_file_size: 1MiB, keep_files: 5}\n");
  ConfigErrors errors;
  const auto cfg = loadConfigFile(dir / "c.yaml", errors);
  ASSERT_TRUE(cfg) << (errors.empty() ? "" : errors[0].text());
  EXPECT_EQ(cfg->log.max_file_size, 1u << 20);
  EXPECT_EQ(cfg->log.keep_files, 5);
}

}  // namespace storegate
