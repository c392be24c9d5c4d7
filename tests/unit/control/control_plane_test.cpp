// The control plane is the only path that may change the plugin manager.
#include "control/control_plane.hpp"

#include <gtest/gtest.h>

#include "support/plugin_rig.hpp"
#include "support/test_support.hpp"

namespace storegate::control {
namespace {

TEST(ControlPlaneDeathTest, TheManagerIsReachableOnlyOnTheExecutor) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the executor thread runs already
  test::TempDir dir;
  auto rig = test::bundledPluginRig(dir / "buffer");
  GatewayConfig file;
  file.store_id = "store-1";
  file.data_dir = dir / "data";
  ControlPlane control(*rig->manager, file);
  PluginManager* inside = control.execute("test", [&] { return &control.manager(); });
  EXPECT_EQ(inside, rig->manager.get());
  EXPECT_DEATH(static_cast<void>(control.manager()),
               "the plugin manager was changed outside the control plane's executor");
}

}  // namespace
}  // namespace storegate::control
