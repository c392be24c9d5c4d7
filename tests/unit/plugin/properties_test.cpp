#include "plugin/properties.hpp"

#include <gtest/gtest.h>

#include <storegate/sdk.hpp>

namespace storegate {
namespace {

PropertySpec spec(std::string name, sg_prop_type type, std::string def = "",
                  sg_prop_flags flags = 0) {
  PropertySpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(def);
  s.flags = flags;
  s.description = "test property";
  return s;
}

std::vector<PropertySpec> specs() {
  PropertySpec port = spec("port", SG_PROP_INT, "502", SG_PROP_HAS_MIN | SG_PROP_HAS_MAX);
  port.min = 1;
  port.max = 65535;
  PropertySpec mode = spec("mode", SG_PROP_ENUM, "tcp");
  mode.allowed = {"tcp", "rtu"};
  PropertySpec timeout = spec("timeout", SG_PROP_DURATION, "5s", SG_PROP_HAS_MAX);
  timeout.max = 3'600'000;
  return {port,
          mode,
          timeout,
          spec("host", SG_PROP_STRING, "", SG_PROP_REQUIRED),
          spec("password", SG_PROP_STRING, "", SG_PROP_SECRET),
          spec("buffer", SG_PROP_SIZE, "64KiB"),
          spec("ratio", SG_PROP_DOUBLE, "0.5"),
          spec("debug", SG_PROP_BOOL, "false"),
          spec("registers", SG_PROP_LIST, "[]"),
          spec("tls.ca_file", SG_PROP_STRING)};
}

std::string joined(const ConfigErrors& errors) {
  std::string s;
  for (const auto& e : errors) s += e.text() + "\n";
  return s;
}

const sg_config_value* find(const sg_config* c, std::string_view name) {
  for (size_t i = 0; i < c->count; ++i) {
    if (sdk::view(c->values[i].name) == name) return &c->values[i];
  }
  return nullptr;
}

}  // namespace

TEST(Properties, AppliesDefaultsAndTypesEveryValue) {
  ConfigErrors errors;
  auto cfg = resolveConfig(specs(), {{"host", "10.0.0.7"}, {"tls", {{"ca_file", "/etc/ca.pem"}}}},
                           "plugins[0].config", errors);
  ASSERT_TRUE(cfg) << joined(errors);
  const sg_config* c = cfg->view();
  EXPECT_EQ(find(c, "port")->int_value, 502);
  EXPECT_EQ(sdk::view(find(c, "mode")->text), "tcp");
  EXPECT_EQ(find(c, "timeout")->int_value, 5000);
  EXPECT_EQ(find(c, "buffer")->int_value, 65536);
  EXPECT_DOUBLE_EQ(find(c, "ratio")->double_value, 0.5);
  EXPECT_EQ(find(c, "debug")->int_value, 0);
  EXPECT_EQ(sdk::view(find(c, "registers")->text), "[]");
  EXPECT_EQ(sdk::view(find(c, "tls.ca_file")->text), "/etc/ca.pem");
  EXPECT_EQ(find(c, "password")->is_set, 0u);  // optional, no default, absent
  // The SDK's typed accessors read the same view.
  sdk::Config typed(c);
  EXPECT_EQ(typed.getDuration("timeout"), std::chrono::seconds(5));
  EXPECT_EQ(typed.getString("host"), "10.0.0.7");
  EXPECT_FALSE(typed.isSet("password"));
  EXPECT_THROW((void)typed.getString("password"), sdk::Error);
}

TEST(Properties, NamesEveryProblemWithItsPath) {
  ConfigErrors errors;
  const nlohmann::json given = {{"port", 70000},      {"mode", "udp"},   {"timeout", "2h"},
                                {"buffer", "lots"},   {"ratio", "half"}, {"debug", "yes"},
                                {"registers", "1,2"}, {"colour", "red"}};
  EXPECT_FALSE(resolveConfig(specs(), given, "plugins[2].config", errors));
  const std::string all = joined(errors);
  EXPECT_NE(all.find("plugins[2].config.port: 70000 is not in 1..65535"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].config.mode: 'udp' is not one of: tcp, rtu"), std::string::npos)
      << all;
  EXPECT_NE(
      all.find("plugins[2].config.timeout: \"2h\" (7200000 ms) is above the maximum 3600000 ms"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("plugins[2].config.buffer: must be a size"), std::string::npos) << all;
  EXPECT_EQ(all.find("e+"), std::string::npos)
      << "bounds are written out, not in exponent form: " << all;
  EXPECT_NE(all.find("plugins[2].config.ratio: must be a number"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].config.debug: must be true or false"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].config.registers: must be a list"), std::string::npos) << all;
  EXPECT_NE(all.find("plugins[2].config.colour: unknown property (this plugin accepts:"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("plugins[2].config.host: is required"), std::string::npos) << all;
  EXPECT_EQ(errors.size(), 9u) << all;
}

TEST(Properties, SecretsAreNeverEchoed) {
  ConfigErrors errors;
  EXPECT_FALSE(resolveConfig(specs(), {{"host", "h"}, {"password", 123456}}, "p", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text().find("123456"), std::string::npos) << errors[0].text();
  errors.clear();
  auto cfg = resolveConfig(specs(), {{"host", "h"}, {"password", "hunter2"}}, "p", errors);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->toJson(true)["password"], "***");
  EXPECT_EQ(cfg->toJson(false)["password"], "hunter2");
}

TEST(Properties, ANumberForAStringPropertyAsksForQuotes) {
  ConfigErrors errors;
  EXPECT_FALSE(resolveConfig(specs(), {{"host", 1234}}, "p", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("(quote it)"), std::string::npos);
}

TEST(Properties, ChangedFromListsOnlyDifferences) {
  ConfigErrors errors;
  auto a = resolveConfig(specs(), {{"host", "h"}, {"port", 10}}, "p", errors);
  auto b = resolveConfig(specs(), {{"host", "h"}, {"port", 11}, {"mode", "tcp"}}, "p", errors);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->changedFrom(*a), std::vector<std::string>{"port"});
}

TEST(Properties, DeclarationsAreChecked) {
  EXPECT_NE(
      checkPropertySpec(spec("t", SG_PROP_DURATION, "five seconds")).find("default 'five seconds'"),
      std::string::npos);
  EXPECT_NE(checkPropertySpec(spec("e", SG_PROP_ENUM)).find("no allowed values"),
            std::string::npos);
  EXPECT_NE(checkPropertySpec(spec("x", 99)).find("unknown type"), std::string::npos);
  EXPECT_EQ(checkPropertySpec(spec("ok", SG_PROP_SIZE, "8MiB")), "");
}

TEST(Properties, PathPropertiesAreResolvedAgainstTheConfigDirectory) {
  std::vector<PropertySpec> s = {spec("file", SG_PROP_STRING, "", SG_PROP_PATH),
                                 spec("name", SG_PROP_STRING)};
  ConfigErrors errors;
  auto rel = resolveConfig(s, {{"file", "out/events.jsonl"}, {"name", "out/x"}}, "p", errors,
                           "/etc/storegate");
  ASSERT_TRUE(rel);
  EXPECT_EQ(sdk::view(find(rel->view(), "file")->text), "/etc/storegate/out/events.jsonl");
  EXPECT_EQ(sdk::view(find(rel->view(), "name")->text), "out/x");  // not a path: untouched
  auto abs = resolveConfig(s, {{"file", "/var/x.jsonl"}}, "p", errors, "/etc/storegate");
  ASSERT_TRUE(abs);
  EXPECT_EQ(sdk::view(find(abs->view(), "file")->text), "/var/x.jsonl");
}

TEST(Properties, JsonSchemaDescribesTypesDefaultsAndRequired) {
  const auto schema = propertiesToJsonSchema(specs());
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["properties"]["port"]["type"], "integer");
  EXPECT_EQ(schema["properties"]["port"]["maximum"], 65535.0);
  EXPECT_EQ(schema["properties"]["port"]["default"], 502);
  EXPECT_EQ(schema["properties"]["mode"]["enum"], nlohmann::json::array({"tcp", "rtu"}));
  EXPECT_EQ(schema["properties"]["password"]["writeOnly"], true);
  EXPECT_EQ(schema["required"], nlohmann::json::array({"host"}));
}

}  // namespace storegate
