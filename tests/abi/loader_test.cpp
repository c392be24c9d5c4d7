// Every way a plugin library can be wrong is refused at load, or contained at run time,
// with a message that names the problem.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <storegate/sdk.hpp>

#include "buffer/memory_buffer.hpp"
#include "plugin/library.hpp"
#include "plugin/manager.hpp"
#include "support/test_support.hpp"

namespace storegate {
namespace {

std::string loadError(const std::string& fixture) {
  std::string error;
  auto lib = PluginLibrary::open(test::fixtureDir() / (fixture + ".so"), error);
  EXPECT_EQ(lib, nullptr) << fixture << " loaded but should not";
  return error;
}

class Contained : public ::testing::Test {
 protected:
  MemoryBuffer buffer_;
  Ingest ingest_{buffer_, "store-1"};
  PluginManager manager_{
      {test::fixtureDir()}, HostServices{&ingest_, &buffer_, "store-1"}, buffer_, nullptr};

  InstanceSpec spec(const std::string& plugin) {
    InstanceSpec s;
    s.name = plugin + "_1";
    s.plugin = plugin;
    s.path = "plugins[0]";
    return s;
  }
};

}  // namespace

TEST(Loader, LoadsAGoodPluginAndCopiesItsDescriptor) {
  std::string error;
  auto lib = PluginLibrary::open(test::fixtureDir() / "counter.so", error);
  ASSERT_TRUE(lib) << error;
  EXPECT_EQ(lib->info().name, "counter");
  EXPECT_EQ(lib->info().abi_version, SG_ABI_VERSION(1, 2));
  EXPECT_TRUE(lib->info().isSource());
  EXPECT_TRUE(lib->info().unloadSafe());
  ASSERT_EQ(lib->info().properties.size(), 1u);
  EXPECT_EQ(lib->info().properties[0].name, "pause_us");
  std::string reason;
  EXPECT_EQ(lib->unload(reason), UnloadOutcome::Unloaded);
  EXPECT_FALSE(isMapped(test::fixtureDir() / "counter.so"));
}

TEST(Loader, RefusesALibraryWithoutTheQuerySymbol) {
  const std::string e = loadError("bad_no_symbol");
  EXPECT_NE(e.find("bad_no_symbol.so"), std::string::npos) << e;
  EXPECT_NE(e.find("exports no 'storegate_plugin_query' symbol"), std::string::npos) << e;
}

TEST(Loader, RefusesATooNewAbiMajorAndSaysWhichVersions) {
  const std::string e = loadError("bad_abi_too_new");
  EXPECT_NE(e.find("speaks no ABI version this host supports (host: 1.0..1.2, plugin: 2.0)"),
            std::string::npos)
      << e;
}

TEST(Loader, RefusesAMissingRequiredFunction) {
  const std::string e = loadError("bad_missing_function");
  EXPECT_NE(e.find("missing required function 'deliver' (it declares kind sink)"),
            std::string::npos)
      << e;
}

TEST(Loader, RefusesAnInvalidPropertyDeclaration) {
  const std::string e = loadError("bad_property");
  EXPECT_NE(e.find("property 'timeout' default 'five seconds' must be a duration"),
            std::string::npos)
      << e;
}

TEST(Loader, RefusesAFileThatIsNoSharedLibrary) {
  test::TempDir dir;
  test::writeFile(dir / "junk.so", "this is not ELF");
  std::string error;
  EXPECT_FALSE(PluginLibrary::open(dir / "junk.so", error));
  EXPECT_NE(error.find("cannot be loaded"), std::string::npos) << error;
  EXPECT_FALSE(PluginLibrary::open(dir / "missing.so", error));
  EXPECT_NE(error.find("no such plugin file"), std::string::npos) << error;
}

TEST_F(Contained, AThrowingCreateLeavesTheInstanceFailedWithItsMessage) {
  const Status s = manager_.add(spec("throws_in_create"));
  EXPECT_FALSE(s.ok());
  const auto r = manager_.get("throws_in_create_1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "failed");
  EXPECT_NE(r->last_error.find("create failed (FAILED): camera /dev/video0 not found"),
            std::string::npos)
      << r->last_error;
}

TEST_F(Contained, AnExceptionThrownStraightThroughTheCAbiIsContained) {
  EXPECT_FALSE(manager_.add(spec("throws_raw")).ok());
  const auto r = manager_.get("throws_raw_1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "failed");
  EXPECT_NE(r->last_error.find("threw from start: raw exception through the C ABI"),
            std::string::npos)
      << r->last_error;
}

TEST_F(Contained, AFailingStartReportsItsStatusAndReason) {
  EXPECT_FALSE(manager_.add(spec("fails_start")).ok());
  const auto r = manager_.get("fails_start_1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "failed");
  EXPECT_NE(r->last_error.find("start failed (FAILED): cannot listen on port 502"),
            std::string::npos)
      << r->last_error;
  // A failed instance can be removed, and its library is unloaded.
  EXPECT_TRUE(manager_.remove("fails_start_1").ok());
  EXPECT_FALSE(isMapped(test::fixtureDir() / "fails_start.so"));
}

TEST_F(Contained, AThreadLeftRunningIsDetectedAndItsLibraryRetired) {
  ASSERT_TRUE(manager_.add(spec("leaves_thread")).ok());
  ASSERT_TRUE(manager_.remove("leaves_thread_1").ok());
  const auto retired = manager_.retired();
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_NE(retired[0].reason.find("called the host after stop"), std::string::npos)
      << retired[0].reason;
  // Still mapped: unloading it would have crashed the stray thread (and this test).
  EXPECT_TRUE(isMapped(test::fixtureDir() / "leaves_thread.so"));
}

TEST_F(Contained, AnUnknownPluginNamesWhereItLooked) {
  const Status s = manager_.add(spec("no_such_plugin"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("no plugin 'no_such_plugin'"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("available: "), std::string::npos) << s.message;
}

}  // namespace storegate

namespace storegate {

TEST_F(Contained, APluginOfAnOlderMinorLoadsAndFieldsPastItsTableAreAbsent) {
  std::string error;
  auto lib = PluginLibrary::open(test::fixtureDir() / "abi_1_0_source.so", error);
  ASSERT_TRUE(lib) << error;
  EXPECT_EQ(lib->info().abi_version, SG_ABI_VERSION(1, 0));
  ASSERT_TRUE(manager_.add(spec("abi_1_0_source")).ok());
  std::string type, body;
  // The fixture's query pointer lies past its struct_size and aborts if called.
  const Status s = manager_.query("abi_1_0_source_1", "snapshot", "", type, body);
  EXPECT_EQ(s.code, SG_ERR_UNSUPPORTED) << s.message;
  EXPECT_NE(s.message.find("answers no queries"), std::string::npos) << s.message;
}

TEST_F(Contained, QueriesNeedARunningInstanceThatExists) {
  std::string type, body;
  EXPECT_EQ(manager_.query("nobody", "snapshot", "", type, body).code, SG_ERR_NOT_FOUND);
  ASSERT_TRUE(manager_.add(spec("counter")).ok());
  const Status unknown = manager_.query("counter_1", "snapshot", "", type, body);
  EXPECT_EQ(unknown.code, SG_ERR_UNSUPPORTED) << "the SDK's default answer";
  ASSERT_TRUE(manager_.stopInstance("counter_1").ok());
  EXPECT_EQ(manager_.query("counter_1", "snapshot", "", type, body).code, SG_ERR_CLOSED);
}

TEST(Negotiation, APluginAnswersEachHostWithADescriptorOfAVersionInsideItsRange) {
  // A real SDK-built plugin, asked as hosts of each range would ask it.
  void* handle = ::dlopen((test::fixtureDir() / "counter.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << ::dlerror();
  const auto query = reinterpret_cast<sg_plugin_query_fn>(::dlsym(handle, SG_PLUGIN_QUERY_SYMBOL));
  ASSERT_NE(query, nullptr);
  const sg_plugin_descriptor* old_host = query(SG_ABI_VERSION(1, 0), SG_ABI_VERSION(1, 0));
  ASSERT_NE(old_host, nullptr);
  EXPECT_EQ(old_host->abi_version, SG_ABI_VERSION(1, 0)) << "never a 1.2 descriptor to a 1.0 host";
  EXPECT_EQ(old_host->vtable->struct_size, offsetof(sg_plugin_vtable, query));
  EXPECT_EQ(old_host->struct_size, offsetof(sg_plugin_descriptor, schemas));
  const sg_plugin_descriptor* v11 = query(SG_ABI_VERSION(1, 0), SG_ABI_VERSION(1, 1));
  ASSERT_NE(v11, nullptr);
  EXPECT_EQ(v11->abi_version, SG_ABI_VERSION(1, 1));
  EXPECT_EQ(v11->vtable->struct_size, offsetof(sg_plugin_vtable, validate));
  const sg_plugin_descriptor* newer_host = query(SG_ABI_VERSION(1, 0), SG_ABI_VERSION(1, 9));
  ASSERT_NE(newer_host, nullptr);
  EXPECT_EQ(newer_host->abi_version, SG_ABI_VERSION(1, 2)) << "its own newest";
  EXPECT_EQ(newer_host->vtable->struct_size, sizeof(sg_plugin_vtable));
  EXPECT_EQ(query(SG_ABI_VERSION(1, 3), SG_ABI_VERSION(1, 9)), nullptr) << "too old for it";
  EXPECT_EQ(query(SG_ABI_VERSION(2, 0), SG_ABI_VERSION(2, 0)), nullptr) << "another major";
  ::dlclose(handle);
}

}  // namespace storegate
