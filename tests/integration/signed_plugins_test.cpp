// plugin_trust.require_signature on the real daemon: only libraries with a signed,
// matching manifest from a trusted key load; uploads must be signed .sgp packages (made
// with storegatectl plugin pack/sign) and every wrong one is refused with its reason; a
// good one is installed and swapped to, and one command rolls back.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "admin/tokens.hpp"
#include "buffer/memory_buffer.hpp"
#include "package/signing.hpp"
#include "package/trust_policy.hpp"
#include "plugin/library.hpp"
#include "plugin/manager.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "sg_admin_token_00000000000000000000000000000000000003";

class SignedPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "keys");
    std::string id;
    ASSERT_TRUE(package::generateKey(dir_ / "vendor", id).ok());
    ASSERT_TRUE(package::generateKey(dir_ / "stranger", id).ok());
    std::filesystem::copy_file(dir_ / "vendor.pub", dir_ / "keys" / "vendor.pub");
    test::writeFile(dir_ / "tokens", admin::TokenStore::sha256Hex(kAdmin) + " admin ops\n");
    std::filesystem::permissions(
        dir_ / "tokens", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    // v0: the counter, signed and installed with its sidecar; a rogue copy without one.
    std::filesystem::copy_file(test::fixtureDir() / "counter.so", dir_ / "counter-v0.so");
    // The rogue build proves whether it was ever opened: its constructor leaves a mark.
    std::filesystem::copy_file(test::fixtureDir() / "counter_marks_load.so", dir_ / "rogue.so");
    ::setenv("STOREGATE_TEST_LOAD_MARKER", (dir_ / "rogue-was-loaded").c_str(), 1);
    ASSERT_EQ(ctl({"plugin", "pack", (dir_ / "counter-v0.so").string(), (dir_ / "v0.sgp").string()})
                  .first,
              0);
    ASSERT_EQ(
        ctl({"plugin", "sign", (dir_ / "v0.sgp").string(), "--key", (dir_ / "vendor.key").string()})
            .first,
        0);
    package::Package v0;
    ASSERT_TRUE(package::read(test::readFile(dir_ / "v0.sgp"), v0).ok());
    test::writeFile(dir_ / "counter-v0.so.sgm", package::write(v0, false));
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->signal(SIGTERM);
      daemon_->wait(20s);
    }
  }

  std::pair<int, std::string> ctl(std::vector<std::string> args) {
    return test::runProgram(test::storegatectlPath(), args);
  }

  std::string config(const std::string& extra_plugins = "") const {
    return "store_id: s\ndata_dir: data\n"
           "plugin_dirs: [\"" +
           test::fixtureDir().string() +
           "\"]\n"
           "plugin_trust: {require_signature: true, trusted_keys: keys}\n"
           "admin: {listen: 127.0.0.1:" +
           std::to_string(port_) +
           ", tokens_file: tokens, max_upload: 64MiB}\n"
           "plugins:\n"
           "  - {name: count, plugin: counter, library: counter-v0.so}\n" +
           extra_plugins;
  }

  void start() {
    test::writeFile(dir_ / "storegate.yaml", config());
    launch();
  }
  void launch() {
    daemon_ = std::make_unique<test::Process>(
        test::storegatedPath(),
        std::vector<std::string>{"--config", (dir_ / "storegate.yaml").string()}, dir_ / "out.log");
    ASSERT_TRUE(test::waitUntil(
        [&] {
          auto r = client().Get("/v1/health");
          return r && r->status == 200;
        },
        20s))
        << daemon_->output();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(20);
    return c;
  }

  std::pair<int, json> post(const std::string& path, const std::string& body = "") {
    auto r = client().Post(path, {{"Authorization", std::string("Bearer ") + kAdmin}}, body,
                           "application/octet-stream");
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  json plugin(const std::string& name) {
    auto r =
        client().Get("/v1/plugins/" + name, {{"Authorization", std::string("Bearer ") + kAdmin}});
    return r ? json::parse(r->body, nullptr, false) : json();
  }

  // A package of `library` (a variant of the counter), signed with `key` unless empty.
  std::string sgp(const std::string& library, const std::string& key,
                  const std::function<void(package::Package&)>& edit = {}) {
    package::Package p;
    EXPECT_TRUE(package::read(test::readFile(dir_ / "v0.sgp"), p).ok());
    p.library = library;
    p.manifest.sha256 = package::sha256Hex(library);
    p.manifest.size = library.size();
    p.manifest.version = "1.0.1";
    p.manifest_text = p.manifest.toJson().dump();
    p.signature.clear();
    if (edit) edit(p);
    if (!key.empty()) {
      EXPECT_TRUE(package::sign(p, dir_ / key).ok());
    }
    return package::write(p);
  }

  test::TempDir dir_;
  int port_ = test::freeLoopbackPort();
  std::unique_ptr<test::Process> daemon_;
};

TEST_F(SignedPlugins, TheBytesCheckedAreTheBytesLoadedAndNothingElseIsRead) {
  std::shared_ptr<package::TrustPolicy> trust;
  ASSERT_TRUE(package::TrustPolicy::make(true, dir_ / "keys", trust).ok());
  MemoryBuffer scratch;
  PluginManager manager({}, HostServices{}, scratch, trust);
  std::string error;
  auto lib = manager.openLibrary(dir_ / "counter-v0.so", error);
  ASSERT_TRUE(lib) << error;
  EXPECT_EQ(lib->info().name, "counter");
  // What is mapped is the sealed copy of the checked bytes, not whatever the path names now.
  EXPECT_FALSE(isMapped(dir_ / "counter-v0.so"));
  EXPECT_NE(test::readFile("/proc/self/maps").find("storegate-plugin:counter-v0.so"),
            std::string::npos);

  // Rewritten in place (same inode) with the rogue's bytes: refused, and never opened.
  {
    std::ofstream out(dir_ / "counter-v0.so", std::ios::binary | std::ios::trunc);
    out << test::readFile(dir_ / "rogue.so");
  }
  EXPECT_FALSE(manager.openLibrary(dir_ / "counter-v0.so", error));
  EXPECT_NE(error.find("does not match its signed manifest"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rogue-was-loaded"));

  // A FIFO where a library should be: refused at once (no read that blocks the loader).
  ASSERT_EQ(::mkfifo((dir_ / "fifo.so").c_str(), 0600), 0);
  EXPECT_FALSE(manager.openLibrary(dir_ / "fifo.so", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
  std::string fate;
  EXPECT_EQ(lib->unload(fate), UnloadOutcome::Unloaded) << fate;
}

TEST_F(SignedPlugins, NoPathOpensAnUnsignedLibraryWhileThePolicyIsOn) {
  const std::string rogue = "  - {name: rogue, plugin: counter, library: rogue.so}\n";
  test::writeFile(dir_ / "storegate.yaml", config(rogue));
  // --check-config refuses what start refuses, naming the library and what to do ...
  const auto [check, check_out] = test::runProgram(
      test::storegatedPath(), {"--check-config", "--config", (dir_ / "storegate.yaml").string()});
  EXPECT_EQ(check, 2) << check_out;
  EXPECT_NE(check_out.find("rogue.so has no signature"), std::string::npos) << check_out;
  EXPECT_NE(check_out.find("install it from a signed .sgp package"), std::string::npos);
  // ... and so do the listing and the schema commands, and start itself.
  const auto [list, list_out] = test::runProgram(
      test::storegatedPath(), {"--list-plugins", "--config", (dir_ / "storegate.yaml").string()});
  EXPECT_EQ(list, 0) << list_out;
  EXPECT_NE(list_out.find("ERROR"), std::string::npos) << "the fixtures are unsigned: " << list_out;
  {
    test::Process refused(test::storegatedPath(), {"--config", (dir_ / "storegate.yaml").string()},
                          dir_ / "refused.log");
    EXPECT_EQ(refused.wait(20s), 2);
    EXPECT_NE(refused.output().find("rogue.so has no signature"), std::string::npos);
  }
  // A mistyped policy (`yes` is a string, not a boolean) is an error, and no library is
  // opened to list the plugins' errors while the policy is in doubt.
  std::string mistyped = config(rogue);
  mistyped.replace(mistyped.find("require_signature: true"), 23, "require_signature: yes");
  test::writeFile(dir_ / "mistyped.yaml", mistyped);
  EXPECT_EQ(test::runProgram(test::storegatedPath(),
                             {"--check-config", "--config", (dir_ / "mistyped.yaml").string()})
                .first,
            2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rogue-was-loaded"));
  // A running daemon: an operator's validate and an admin's add of it are refused too.
  start();
  const auto validate =
      client().Post("/v1/config/validate", {{"Authorization", std::string("Bearer ") + kAdmin}},
                    config(rogue), "application/yaml");
  ASSERT_TRUE(validate);
  EXPECT_EQ(validate->status, 422) << validate->body;
  EXPECT_NE(validate->body.find("has no signature"), std::string::npos) << validate->body;
  // A config that turns the policy off cannot be used to open it either.
  std::string off = config(rogue);
  off.replace(off.find("require_signature: true"), 23, "require_signature: false");
  const auto sneaky =
      client().Post("/v1/config/validate", {{"Authorization", std::string("Bearer ") + kAdmin}},
                    off, "application/yaml");
  ASSERT_TRUE(sneaky);
  EXPECT_EQ(sneaky->status, 422) << sneaky->body;
  const auto added = client().Post(
      "/v1/plugins", {{"Authorization", std::string("Bearer ") + kAdmin}},
      json{{"name", "rogue"}, {"plugin", "counter"}, {"library", (dir_ / "rogue.so").string()}}
          .dump(),
      "application/json");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 422) << added->body;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rogue-was-loaded"))
      << "the unsigned library's constructor ran: it was opened";
}

TEST_F(SignedPlugins, OnlyTrustedSignedBuildsLoadAndUploadsAreCheckedThenRolledBack) {
  start();
  ASSERT_EQ(plugin("count")["state"], "running") << plugin("count").dump() << daemon_->output();

  const std::string v1 = test::readFile(test::fixtureDir() / "counter.so") + "\n# v1";
  const auto refused = [&](const std::string& body, const std::string& why) {
    const auto [status, answer] = post("/v1/plugins/count/upload", body);
    EXPECT_EQ(status, 422) << why;
    const std::string message = answer["error"]["message"].get<std::string>();
    EXPECT_NE(message.find(why), std::string::npos) << message;
  };
  refused(v1, "requires signed plugins");  // a bare .so
  refused(sgp(v1, ""), "is not signed");
  refused(sgp(v1, "stranger.key"), "which this router does not trust");
  {
    std::string tampered = sgp(v1, "vendor.key");
    tampered[tampered.find("# v1") + 3] = '2';  // the library, after signing
    refused(tampered, "does not match the manifest's sha256");
  }
  refused(sgp(v1, "vendor.key", [](package::Package& p) { p.manifest.arch = "riscv64"; }),
          "is built for riscv64");
  refused(sgp(v1, "vendor.key", [](package::Package& p) { p.manifest.abi_version = "2.0"; }),
          "speaks plugin ABI 2.0");
  refused(sgp(v1, "vendor.key", [](package::Package& p) { p.manifest.name = "pos_file"; }),
          "is not the plugin counter");
  EXPECT_NE(plugin("count")["library"].get<std::string>().find("counter-v0.so"), std::string::npos)
      << "nothing refused was swapped to";

  // A good one: verified by storegatectl, uploaded, installed with its sidecar, running.
  test::writeFile(dir_ / "v1.sgp", sgp(v1, "vendor.key"));
  const auto [vcode, vout] = ctl(
      {"plugin", "verify", (dir_ / "v1.sgp").string(), "--trusted-keys", (dir_ / "keys").string()});
  EXPECT_EQ(vcode, 0) << vout;
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const auto [ucode, uout] =
      ctl({"--url", url, "--token", kAdmin, "upload", "count", (dir_ / "v1.sgp").string()});
  ASSERT_EQ(ucode, 0) << uout;
  const json after = plugin("count");
  EXPECT_EQ(after["state"], "running");
  const std::string installed = after["library"];
  EXPECT_NE(installed.find("counter-1.0.1-"), std::string::npos) << installed;
  EXPECT_TRUE(std::filesystem::exists(installed + ".sgm"));

  // The upgrade survives a restart (it used to come back as the old build, silently).
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(20s), 0);
  launch();
  EXPECT_EQ(plugin("count")["library"], installed) << daemon_->output();
  EXPECT_EQ(plugin("count")["state"], "running");

  // One command back to the build before.
  const auto [rcode, rout] = ctl({"--url", url, "--token", kAdmin, "plugin", "rollback", "count"});
  EXPECT_EQ(rcode, 0) << rout;
  EXPECT_NE(rout.find("rolled back to"), std::string::npos) << rout;
  EXPECT_NE(plugin("count")["library"].get<std::string>().find("counter-v0.so"), std::string::npos);
  EXPECT_EQ(plugin("count")["state"], "running");
  // And the rollback survives one too.
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(20s), 0);
  launch();
  EXPECT_NE(plugin("count")["library"].get<std::string>().find("counter-v0.so"), std::string::npos);

  // Trusted keys reload on SIGHUP: the vendor's key revoked, its packages are refused.
  std::filesystem::copy_file(dir_ / "stranger.pub", dir_ / "keys" / "stranger.pub");
  std::filesystem::remove(dir_ / "keys" / "vendor.pub");
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(test::waitUntil(
      [&] { return daemon_->output().find("trusted keys reloaded") != std::string::npos; }, 10s));
  refused(sgp(v1 + "2", "vendor.key"), "which this router does not trust");
}

TEST_F(SignedPlugins, ADaemonWithoutTrustedKeysRefusesToStartAndSaysWhy) {
  std::filesystem::remove(dir_ / "keys" / "vendor.pub");
  test::writeFile(dir_ / "storegate.yaml",
                  "store_id: s\ndata_dir: data\nplugin_trust: {require_signature: true, "
                  "trusted_keys: keys}\nadmin: {enabled: false}\nplugins: []\n");
  test::Process d(test::storegatedPath(), {"--config", (dir_ / "storegate.yaml").string()},
                  dir_ / "out.log");
  EXPECT_NE(d.wait(20s), 0);
  EXPECT_NE(d.output().find("holds no *.pub key"), std::string::npos) << d.output();
}

}  // namespace
}  // namespace storegate
