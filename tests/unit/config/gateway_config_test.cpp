#include "config/gateway_config.hpp"

#include <gtest/gtest.h>

namespace storegate {
namespace {

std::string joined(const ConfigErrors& errors) {
  std::string s;
  for (const auto& e : errors) s += e.text() + "\n";
  return s;
}

}  // namespace

TEST(GatewayConfig, ParsesAFullConfigAndResolvesPathsAgainstTheFile) {
  ConfigErrors errors;
  auto cfg = parseConfig(R"(
store_id: store-0042
data_dir: var/data
plugin_dirs: [plugins, /opt/vendor/plugins]
log: {level: debug, format: json, file: var/log.txt, syslog: true}
buffer: {durability: batch}
plugins:
  - name: front_door
    plugin: hello
    config: {greeting: "hi", interval: 5s}
  - plugin: file_sink
    enabled: false
    library: lib/file_sink-2.so
)",
                         "/etc/storegate", errors);
  ASSERT_TRUE(cfg) << joined(errors);
  EXPECT_EQ(cfg->store_id, "store-0042");
  EXPECT_EQ(cfg->data_dir, "/etc/storegate/var/data");
  ASSERT_EQ(cfg->plugin_dirs.size(), 2u);
  EXPECT_EQ(cfg->plugin_dirs[0], "/etc/storegate/plugins");
  EXPECT_EQ(cfg->plugin_dirs[1], "/opt/vendor/plugins");
  EXPECT_EQ(cfg->log.level, LogLevel::Debug);
  EXPECT_TRUE(cfg->log.json);
  EXPECT_TRUE(cfg->log.syslog);
  EXPECT_EQ(cfg->buffer.durability, Durability::Batch);
  ASSERT_EQ(cfg->plugins.size(), 2u);
  EXPECT_EQ(cfg->plugins[0].config["greeting"], "hi");
  EXPECT_EQ(cfg->plugins[0].config["interval"], "5s");
  EXPECT_EQ(cfg->plugins[1].name, "file_sink");  // defaults to the plugin name
  EXPECT_FALSE(cfg->plugins[1].enabled);
  EXPECT_EQ(cfg->plugins[1].library, "/etc/storegate/lib/file_sink-2.so");
}

TEST(GatewayConfig, YamlScalarsGetTypesButQuotedOnesStayStrings) {
  ConfigErrors errors;
  auto cfg = parseConfig(R"(
store_id: s
data_dir: d
plugins:
  - {plugin: p, config: {a: 12, b: "12", c: true, d: 1.5, e: -3, f: ~, g: [1, x]}}
)",
                         "/", errors);
  ASSERT_TRUE(cfg) << joined(errors);
  const auto& c = cfg->plugins[0].config;
  EXPECT_TRUE(c["a"].is_number_integer());
  EXPECT_TRUE(c["b"].is_string());
  EXPECT_TRUE(c["c"].is_boolean());
  EXPECT_TRUE(c["d"].is_number_float());
  EXPECT_EQ(c["e"], -3);
  EXPECT_TRUE(c["f"].is_null());
  EXPECT_EQ(c["g"], nlohmann::json::array({1, "x"}));
}

TEST(GatewayConfig, ListsEveryErrorByPath) {
  ConfigErrors errors;
  auto cfg = parseConfig(R"(
data_dir: 7
colour: blue
log: {level: loud}
buffer: {durability: maybe}
plugins:
  - name: Front Door
    plugin: hello
  - name: dup
    plugin: hello
  - name: dup
    config: [1]
)",
                         "/", errors);
  EXPECT_FALSE(cfg);
  const std::string all = joined(errors);
  EXPECT_NE(all.find("store_id: is required"), std::string::npos) << all;
  EXPECT_NE(all.find("data_dir: must be a string"), std::string::npos) << all;
  EXPECT_NE(all.find("colour: unknown key"), std::string::npos) << all;
  EXPECT_NE(all.find("log.level: 'loud' is not one of"), std::string::npos) << all;
  EXPECT_NE(all.find("buffer.durability: 'maybe' is not one of: sync, batch, none"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("plugins[0].name: 'Front Door' must be"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].name: 'dup' is used by another instance"), std::string::npos)
      << all;
  EXPECT_NE(all.find("plugins[2].plugin: is required"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].config: must be a mapping"), std::string::npos) << all;
}

// A sink named like the core's internal readers ("_admin_remote") would share their cursor
// and be skipped by retention: what it had not delivered was trimmed.
TEST(GatewayConfig, AnInstanceNameStartingWithAnUnderscoreIsRefused) {
  for (const char* name : {"_backup", "_admin_remote", "-x"}) {
    ConfigErrors errors;
    auto cfg = parseConfig(std::string("store_id: s1\nplugins:\n  - name: \"") + name +
                               "\"\n    plugin: file_sink\n    config: {path: out.jsonl}\n",
                           "/", errors);
    EXPECT_FALSE(cfg) << name;
    EXPECT_NE(joined(errors).find("starting with a letter or a digit"), std::string::npos)
        << joined(errors);
  }
  EXPECT_TRUE(validInstanceName("backup_2"));
  EXPECT_TRUE(validInstanceName("2nd-door"));
}

TEST(GatewayConfig, ReportsYamlSyntaxErrorsWithTheirLine) {
  ConfigErrors errors;
  EXPECT_FALSE(parseConfig("store_id: s\nplugins: [\n  - {", "/", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text().find("line "), std::string::npos);
  EXPECT_NE(errors[0].text().find("YAML syntax error"), std::string::npos);
}

TEST(GatewayConfig, MissingFileSaysSo) {
  ConfigErrors errors;
  EXPECT_FALSE(loadConfigFile("/nonexistent/storegate.yaml", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text().find("cannot be read"), std::string::npos);
}

// Found by fuzzing the admin API: invalid UTF-8 in a config made an error message throw.
TEST(GatewayConfig, InvalidUtf8IsAnErrorNotACrash) {
  ConfigErrors errors;
  const auto cfg = parseConfig("store_id: {bad,: \xff\xff}\ndata_dir: d\n", "/tmp", errors);
  EXPECT_FALSE(cfg);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].text().find("store_id"), std::string::npos) << errors[0].text();
}

}  // namespace storegate

namespace storegate {

TEST(GatewayConfig, HostileYamlIsRefusedBeforeAnyDocumentIsBuilt) {
  const auto refusal = [](const std::string& yaml) {
    ConfigErrors errors;
    EXPECT_FALSE(parseConfig(yaml, "/etc/storegate", errors)) << yaml.substr(0, 80);
    return joined(errors);
  };
  // The recursive alias that crashed the daemon, and a "billion laughs".
  EXPECT_NE(refusal("store_id: s\nbuffer: {quota: &q [*q]}\n").find("aliases"), std::string::npos);
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    laughs += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" +
              char(c - 1) + ", *" + char(c - 1) + "]\n";
  EXPECT_NE(refusal(laughs).find("aliases"), std::string::npos);
  // A key twice: the second used to win silently.
  const std::string dup = refusal("store_id: a\ndata_dir: /x\nstore_id: b\n");
  EXPECT_NE(dup.find("key 'store_id' appears twice"), std::string::npos) << dup;
  EXPECT_NE(dup.find("line 3"), std::string::npos) << dup;
  EXPECT_NE(refusal("store_id: a\nplugins:\n  - {name: x, plugin: y, name: z}\n")
                .find("'name' appears twice"),
            std::string::npos);
  // Null keys load as "null": two of them (or one and a "null") repeat too.
  EXPECT_NE(refusal("store_id: a\nx: {~: 1, null: 2}\n").find("'null' appears twice"),
            std::string::npos);
  // A second document, deep nesting, a complex key, too big.
  EXPECT_NE(refusal("store_id: a\n---\nstore_id: b\n").find("second YAML document"),
            std::string::npos);
  EXPECT_NE(refusal("store_id: a\nx: " + std::string(1000, '[') + std::string(1000, ']') + "\n")
                .find("nested deeper than 64"),
            std::string::npos);
  EXPECT_NE(refusal("store_id: a\n#" + std::string(2 << 20, 'x') + "\n").find("at most"),
            std::string::npos);
  // Keys equal in different mappings are fine.
  ConfigErrors errors;
  EXPECT_TRUE(
      parseConfig("store_id: s\ndata_dir: d\nplugins:\n  - {name: a, plugin: hello}\n"
                  "  - {name: b, plugin: hello}\n",
                  "/etc/storegate", errors))
      << joined(errors);
}

}  // namespace storegate

namespace storegate {

TEST(GatewayConfig, AStoreIdMustBeUtf8WithoutControlsOrTopicWildcards) {
  const auto problem = [](const std::string& id) {
    ConfigErrors errors;
    auto cfg = parseConfig("store_id: \"" + id + "\"\ndata_dir: d\n", "/etc/storegate", errors);
    std::string s;
    for (const auto& e : errors) s += e.text() + "\n";
    return s;
  };
  EXPECT_EQ(problem("store-0042"), "");
  EXPECT_EQ(problem("上海南京西路店"), "") << "a Chinese store name is fine";
  // Raw bytes, not a YAML escape (which yaml-cpp turns into a valid code point).
  const std::string raw = problem("bad\xff\xfe");
  EXPECT_TRUE(raw.find("store_id: is not valid UTF-8") != std::string::npos ||
              raw.find("invalid") != std::string::npos)
      << raw;
  EXPECT_NE(raw, "");
  EXPECT_NE(problem("a/b").find("'/', '+' or '#'"), std::string::npos);
  EXPECT_NE(problem("a#").find("'/', '+' or '#'"), std::string::npos);
  EXPECT_NE(problem("tab\\there").find("control characters"), std::string::npos);
  EXPECT_NE(problem(std::string(129, 'x')).find("at most 128 bytes"), std::string::npos);
}

}  // namespace storegate
