// Remote management through NAT: the cloud sends admin requests over the store's MQTT
// uplink (a real Mosquitto) and gets the answers back; the router has no inbound port.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "admin/tokens.hpp"
#include "support/mosquitto.hpp"
#include "support/mqtt_client.hpp"
#include "support/test_support.hpp"

namespace storegate {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(RemoteAdmin, RequestsOverTheUplinkRunWithTheirTokensRoleAndAnswerBack) {
  test::TempDir dir;
  test::MosquittoBroker broker(dir / "broker");
  const std::string viewer = "sg_remote_viewer_00000000000000000000000000000000000001";
  const std::string op = "sg_remote_operator_000000000000000000000000000000000002";
  {
    std::ofstream out(dir / "tokens");
    out << admin::TokenStore::sha256Hex(viewer) << " viewer cloud-dashboard\n"
        << admin::TokenStore::sha256Hex(op) << " operator cloud-ops\n";
  }
  ::chmod((dir / "tokens").c_str(), 0600);
  const auto config = dir / "storegate.yaml";
  test::writeFile(config,
                  "store_id: store-0042\n"
                  "data_dir: data\n"
                  "plugin_dirs: [\"" +
                      test::pluginDir().string() +
                      "\"]\n"
                      "log: {level: info, file: daemon.log}\n"
                      "admin: {listen: 127.0.0.1:" +
                      std::to_string(test::freeLoopbackPort()) +
                      ", tokens_file: tokens}\n"
                      "plugins:\n"
                      "  - name: greeter\n"
                      "    plugin: hello\n"
                      "    config: {interval: 50ms}\n"
                      "  - name: cloud\n"
                      "    plugin: platform_mqtt\n"
                      "    config:\n"
                      "      broker_url: " +
                      broker.url() +
                      "\n"
                      "      privacy.pseudonymize: false\n"
                      "      reconnect.min_backoff: 100ms\n"
                      "  - name: local\n"
                      "    plugin: file_sink\n"
                      "    config: {path: local.jsonl}\n");
  test::MqttTestClient cloud(broker.url(), "fleet-manager", "stores/store-0042/responses");
  test::Process daemon(test::storegatedPath(), {"--config", config.string()}, dir / "out.log");
  ASSERT_TRUE(test::waitUntil(
      [&] {
        return test::readFile(dir / "daemon.log").find("connected to " + broker.url()) !=
               std::string::npos;
      },
      20s))
      << daemon.output();

  const auto ask = [&](const json& request) {
    cloud.publish("stores/store-0042/commands", request.dump());
  };
  ask({{"name", "admin.request"},
       {"id", "r1"},
       {"token", op},
       {"method", "POST"},
       {"path", "/v1/plugins/greeter/stop"}});
  ask({{"name", "admin.request"},
       {"id", "r2"},
       {"token", viewer},
       {"method", "POST"},
       {"path", "/v1/plugins/greeter/start"}});
  ask({{"name", "admin.request"},
       {"id", "r3"},
       {"token", viewer},
       {"method", "GET"},
       {"path", "/v1/plugins/greeter"}});
  ask({{"name", "admin.request"},
       {"id", "r4"},
       {"token", op},
       {"method", "GET"},
       {"path", "/v1/status"},
       {"expires_at", "2020-01-01T00:00:00Z"}});
  ask({{"name", "admin.request"},
       {"id", "r5"},
       {"token", "sg_wrong"},
       {"method", "GET"},
       {"path", "/v1/status"}});

  std::map<std::string, json> answers;
  ASSERT_TRUE(test::waitUntil(
      [&] {
        for (const auto& m : cloud.received()) {
          const json a = json::parse(m.payload);
          answers[a["id"]] = a;
        }
        return answers.size() == 5;
      },
      20s))
      << answers.size() << "\n"
      << test::readFile(dir / "daemon.log");
  EXPECT_EQ(answers["r1"]["status"], 200);
  EXPECT_EQ(answers["r1"]["body"]["state"], "stopped");
  EXPECT_EQ(answers["r2"]["status"], 403) << "a viewer may not start";
  EXPECT_EQ(answers["r3"]["status"], 200);
  EXPECT_EQ(answers["r3"]["body"]["state"], "stopped");
  EXPECT_EQ(answers["r4"]["status"], 408);
  EXPECT_EQ(answers["r5"]["status"], 401);

  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(20s), 0);
  // The tokens never reached the store's disk in clear: not in the buffer's local export,
  // not in the logs; the audit log names who did what.
  const std::string local = test::readFile(dir / "local.jsonl");
  EXPECT_NE(local.find("admin.request"), std::string::npos);
  EXPECT_EQ(local.find(op), std::string::npos);
  EXPECT_EQ(local.find(viewer), std::string::npos);
  EXPECT_NE(local.find(admin::TokenStore::sha256Hex(op)), std::string::npos);
  const std::string audit = test::readFile(dir / "data" / "audit.log");
  EXPECT_NE(audit.find("\"who\":\"cloud-ops\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("remote:cloud"), std::string::npos);

  // A restart answers nothing twice.
  const size_t before = cloud.count();
  test::Process again(test::storegatedPath(), {"--config", config.string()}, dir / "out2.log");
  std::this_thread::sleep_for(1500ms);
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait(20s), 0);
  EXPECT_EQ(cloud.count(), before);
}

TEST(RemoteAdmin, NoRequestFromTheCloudCanCrashTheStoreOrCrashItAgainAtRestart) {
  test::TempDir dir;
  test::MosquittoBroker broker(dir / "broker");
  const std::string op = "sg_remote_operator_000000000000000000000000000000000002";
  {
    std::ofstream out(dir / "tokens");
    out << admin::TokenStore::sha256Hex(op) << " operator cloud-ops\n";
  }
  ::chmod((dir / "tokens").c_str(), 0600);
  const auto config = dir / "storegate.yaml";
  test::writeFile(config, "store_id: store-0042\ndata_dir: data\nplugin_dirs: [\"" +
                              test::pluginDir().string() +
                              "\"]\nlog: {level: info, file: daemon.log}\n"
                              "admin: {listen: 127.0.0.1:" +
                              std::to_string(test::freeLoopbackPort()) +
                              ", tokens_file: tokens}\n"
                              "plugins:\n"
                              "  - name: cloud\n    plugin: platform_mqtt\n    config:\n"
                              "      broker_url: " +
                              broker.url() +
                              "\n      privacy.pseudonymize: false\n"
                              "      reconnect.min_backoff: 100ms\n");
  test::MqttTestClient cloud(broker.url(), "fleet-manager", "stores/store-0042/responses");
  auto daemon = std::make_unique<test::Process>(
      test::storegatedPath(), std::vector<std::string>{"--config", config.string()},
      dir / "out.log");
  const auto connected = [&] {
    return test::readFile(dir / "daemon.log").find("connected to " + broker.url()) !=
           std::string::npos;
  };
  ASSERT_TRUE(test::waitUntil(connected, 20s)) << daemon->output();
  // What a buggy cloud (or anyone who can publish to the topic) might send.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<std::string> hostile = {
      R"({"name":"admin.request","id":17,"method":"GET","path":"/v1/health"})",
      R"({"name":"admin.request","id":"h2","method":["GET"],"path":"/v1/health"})",
      R"({"name":"admin.request","id":"h3","method":"GET","path":"/v1/health","body":)" + deep +
          "}",
      "{\"name\":\"admin.request\",\"id\":\"h4\",\"method\":\"GET\",\"path\":\"/v1/\xff\"}",
      R"({"name":"admin.request","id":"h5","method":"GET","path":"/v1/health","expires_at":9})",
      R"({"name":"admin.request","id":"h6")",
  };
  for (const std::string& h : hostile) cloud.publish("stores/store-0042/commands", h);
  cloud.publish("stores/store-0042/commands", json({{"name", "admin.request"},
                                                    {"id", "after"},
                                                    {"token", op},
                                                    {"method", "GET"},
                                                    {"path", "/v1/plugins/cloud"}})
                                                  .dump());
  std::map<std::string, json> answers;
  ASSERT_TRUE(test::waitUntil(
      [&] {
        for (const auto& m : cloud.received()) {
          const json a = json::parse(m.payload, nullptr, false);
          if (a.is_object() && a.contains("id")) answers[a["id"].get<std::string>()] = a;
        }
        return answers.count("after") != 0;
      },
      20s))
      << test::readFile(dir / "daemon.log");
  EXPECT_TRUE(daemon->running()) << "a remote request ended the daemon";
  EXPECT_EQ(answers["after"]["status"], 200) << "the store still answers after them";
  EXPECT_EQ(answers["h2"]["status"], 400);
  EXPECT_NE(answers["h2"]["body"]["error"]["message"].get<std::string>().find("method"),
            std::string::npos);
  EXPECT_EQ(answers["h5"]["status"], 400);
  EXPECT_EQ(answers[""]["status"], 400) << "a request without a readable id is still answered";

  // A restart reads none of them again, and does not crash on them.
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0);
  const size_t before = cloud.count();
  daemon = std::make_unique<test::Process>(test::storegatedPath(),
                                           std::vector<std::string>{"--config", config.string()},
                                           dir / "out2.log");
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(daemon->running()) << daemon->output();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0);
  EXPECT_LE(cloud.count(), before + 1) << "at most the status message; no answer twice";
}

}  // namespace storegate
