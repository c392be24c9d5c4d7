// The desired state: what the API changed on top of the config file, kept across restarts,
// and dropped when the file itself changes the same instance.
#include "control/desired_state.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace storegate::control {
namespace {

GatewayConfig fileWith(std::vector<InstanceSpec> specs) {
  GatewayConfig c;
  c.store_id = "store-1";
  c.plugins = std::move(specs);
  return c;
}

InstanceSpec spec(const std::string& name, nlohmann::json config = nlohmann::json::object()) {
  InstanceSpec s;
  s.name = name;
  s.plugin = "hello";
  s.config = std::move(config);
  return s;
}

TEST(DesiredState, ChangesApplyOnTopOfTheFile) {
  const GatewayConfig file = fileWith({spec("door", {{"interval", "1s"}}), spec("tills")});
  DesiredState d;
  d.instances["door"].base_hash = specHash(file.plugins[0]);
  d.instances["door"].library = "/var/lib/storegate/plugins/hello-2.so";
  d.instances["door"].config = nlohmann::json{{"interval", "5s"}};
  d.instances["tills"].base_hash = specHash(file.plugins[1]);
  d.instances["tills"].removed = true;
  d.instances["extra"].added = nlohmann::json{{"plugin", "file_sink"}, {"config", {{"path", "x"}}}};
  std::vector<std::string> dropped;
  const GatewayConfig e = effectiveConfig(file, d, dropped);
  EXPECT_TRUE(dropped.empty());
  ASSERT_EQ(e.plugins.size(), 3u);
  EXPECT_EQ(e.plugins[0].library, "/var/lib/storegate/plugins/hello-2.so");
  EXPECT_EQ(e.plugins[0].config["interval"], "5s");
  EXPECT_FALSE(e.plugins[1].enabled) << "removed through the API";
  EXPECT_EQ(e.plugins[2].name, "extra");
  EXPECT_EQ(e.plugins[2].plugin, "file_sink");
}

TEST(DesiredState, AChangeIsDroppedWhenTheFileChangedThatInstanceSince) {
  GatewayConfig file = fileWith({spec("door", {{"interval", "1s"}})});
  DesiredState d;
  d.instances["door"].base_hash = specHash(file.plugins[0]);
  d.instances["door"].config = nlohmann::json{{"interval", "5s"}};
  file.plugins[0].config["interval"] = "2s";  // the integrator edited the file and sent SIGHUP
  std::vector<std::string> dropped;
  const GatewayConfig e = effectiveConfig(file, d, dropped);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0].find("door"), std::string::npos);
  EXPECT_EQ(e.plugins[0].config["interval"], "2s") << "the file wins";
  EXPECT_TRUE(d.instances.empty());
}

TEST(DesiredStateFile, SurvivesARoundTripAndRefusesADamagedFile) {
  test::TempDir dir;
  DesiredStateFile store(dir.path());
  DesiredState d;
  d.version = 7;
  d.instances["door"].base_hash = "abc";
  d.instances["door"].library = "/x.so";
  d.instances["door"].previous = "/w.so";
  d.instances["door"].stopped = true;
  ASSERT_TRUE(store.save(d).ok());
  DesiredState back;
  ASSERT_TRUE(store.load(back).ok());
  EXPECT_EQ(back.version, 7u);
  EXPECT_EQ(back.instances["door"].library, "/x.so");
  EXPECT_EQ(back.instances["door"].previous, "/w.so");
  EXPECT_TRUE(back.instances["door"].stopped);

  for (const std::string& damaged :
       {std::string("{\"format\":1,\"version\":"), std::string("[]"),
        std::string("{\"format\":1,\"version\":-1,\"instances\":{}}"),
        std::string("{\"format\":1,\"version\":1,\"instances\":{\"a\":{\"library\":1}}}"),
        std::string(100000, '[')}) {
    test::writeFile(store.path(), damaged);
    DesiredState out;
    const Status s = store.load(out);
    EXPECT_FALSE(s.ok()) << damaged.substr(0, 60);
    EXPECT_NE(s.message.find("move it aside"), std::string::npos) << s.message;
  }
}

TEST(DesiredStateFile, NoFileIsAnEmptyState) {
  test::TempDir dir;
  DesiredState d;
  d.version = 3;
  ASSERT_TRUE(DesiredStateFile(dir.path()).load(d).ok());
  EXPECT_EQ(d.version, 0u);
  EXPECT_TRUE(d.instances.empty());
}

}  // namespace
}  // namespace storegate::control
