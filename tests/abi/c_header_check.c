/* Compiles plugin.h as C11: the ABI must never depend on C++. */
#include <storegate/plugin.h>

_Static_assert(SG_OK == 0, "0 means OK");
_Static_assert(SG_ABI_VERSION(1, 2) == 0x00010002u, "version encoding");

const sg_plugin_descriptor* storegate_abi_c_check(void) {
  return NULL;
}
