// Locks the ABI v1 layout on LP64 targets (x86_64, aarch64): any change to a size or an
// offset breaks every plugin built before it. Evolve by appending fields at the end of a
// table (sizes may then grow, offsets never move) and update the size here on purpose.
#include <gtest/gtest.h>
#include <storegate/plugin.h>

#include <cstddef>

#if defined(__LP64__)

TEST(AbiLayout, Str) {
  EXPECT_EQ(sizeof(sg_str), 16u);
}

TEST(AbiLayout, Bytes) {
  EXPECT_EQ(sizeof(sg_bytes), 16u);
}

TEST(AbiLayout, Event) {
  EXPECT_EQ(sizeof(sg_event), 152u);
  EXPECT_EQ(offsetof(sg_event, id), 8u);
  EXPECT_EQ(offsetof(sg_event, source), 24u);
  EXPECT_EQ(offsetof(sg_event, type), 40u);
  EXPECT_EQ(offsetof(sg_event, subject), 56u);
  EXPECT_EQ(offsetof(sg_event, datacontenttype), 72u);
  EXPECT_EQ(offsetof(sg_event, dedupkey), 88u);
  EXPECT_EQ(offsetof(sg_event, storeid), 104u);
  EXPECT_EQ(offsetof(sg_event, time_unix_ns), 120u);
  EXPECT_EQ(offsetof(sg_event, sequence), 128u);
  EXPECT_EQ(offsetof(sg_event, data), 136u);
}

TEST(AbiLayout, Property) {
  EXPECT_EQ(sizeof(sg_property), 96u);
  EXPECT_EQ(offsetof(sg_property, type), 4u);
  EXPECT_EQ(offsetof(sg_property, name), 8u);
  EXPECT_EQ(offsetof(sg_property, description), 24u);
  EXPECT_EQ(offsetof(sg_property, default_value), 40u);
  EXPECT_EQ(offsetof(sg_property, flags), 56u);
  EXPECT_EQ(offsetof(sg_property, min), 64u);
  EXPECT_EQ(offsetof(sg_property, max), 72u);
  EXPECT_EQ(offsetof(sg_property, allowed), 80u);
  EXPECT_EQ(offsetof(sg_property, allowed_count), 88u);
}

TEST(AbiLayout, ConfigValue) {
  EXPECT_EQ(sizeof(sg_config_value), 64u);
  EXPECT_EQ(offsetof(sg_config_value, type), 4u);
  EXPECT_EQ(offsetof(sg_config_value, name), 8u);
  EXPECT_EQ(offsetof(sg_config_value, int_value), 24u);
  EXPECT_EQ(offsetof(sg_config_value, double_value), 32u);
  EXPECT_EQ(offsetof(sg_config_value, text), 40u);
  EXPECT_EQ(offsetof(sg_config_value, is_set), 56u);
}

TEST(AbiLayout, Config) {
  EXPECT_EQ(sizeof(sg_config), 24u);
  EXPECT_EQ(offsetof(sg_config, values), 8u);
  EXPECT_EQ(offsetof(sg_config, count), 16u);
}

TEST(AbiLayout, Host) {
  EXPECT_EQ(sizeof(sg_host), 80u);
  EXPECT_EQ(offsetof(sg_host, abi_version), 4u);
  EXPECT_EQ(offsetof(sg_host, log), 8u);
  EXPECT_EQ(offsetof(sg_host, set_error), 16u);
  EXPECT_EQ(offsetof(sg_host, emit), 24u);
  EXPECT_EQ(offsetof(sg_host, emit_batch), 32u);
  EXPECT_EQ(offsetof(sg_host, state_get), 40u);
  EXPECT_EQ(offsetof(sg_host, state_put), 48u);
  EXPECT_EQ(offsetof(sg_host, state_delete), 56u);
  EXPECT_EQ(offsetof(sg_host, metric), 64u);
  EXPECT_EQ(offsetof(sg_host, now_unix_ns), 72u);
}

TEST(AbiLayout, CreateArgs) {
  EXPECT_EQ(sizeof(sg_create_args), 48u);
  EXPECT_EQ(offsetof(sg_create_args, instance_name), 8u);
  EXPECT_EQ(offsetof(sg_create_args, store_id), 24u);
  EXPECT_EQ(offsetof(sg_create_args, config), 40u);
}

TEST(AbiLayout, DeliveryResult) {
  EXPECT_EQ(sizeof(sg_delivery_result), 24u);
  EXPECT_EQ(offsetof(sg_delivery_result, accepted), 8u);
  EXPECT_EQ(offsetof(sg_delivery_result, retry_after_ms), 16u);
}

TEST(AbiLayout, PluginVtable) {
  EXPECT_EQ(sizeof(sg_plugin_vtable), 88u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, create), 8u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, start), 16u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, reconfigure), 24u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, deliver), 32u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, command), 40u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, health), 48u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, stop), 56u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, destroy), 64u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, query), 72u);     // ABI 1.1
  EXPECT_EQ(offsetof(sg_plugin_vtable, validate), 80u);  // ABI 1.2
}

TEST(AbiLayout, PropertySchemaIsAFrozenArrayElement) {
  EXPECT_EQ(sizeof(sg_property_schema), 32u);
  EXPECT_EQ(offsetof(sg_property_schema, json_schema), 16u);
}

TEST(AbiLayout, PluginDescriptor) {
  EXPECT_EQ(sizeof(sg_plugin_descriptor), 120u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, schemas), 104u);       // ABI 1.2
  EXPECT_EQ(offsetof(sg_plugin_descriptor, schema_count), 112u);  // ABI 1.2
  EXPECT_EQ(offsetof(sg_plugin_descriptor, abi_version), 4u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, name), 8u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, version), 24u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, vendor), 40u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, description), 56u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, kinds), 72u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, flags), 76u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, properties), 80u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, property_count), 88u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, vtable), 96u);
}

TEST(AbiLayout, EveryTableStartsWithStructSize) {
  EXPECT_EQ(offsetof(sg_event, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_property, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_config_value, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_config, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_host, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_create_args, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_delivery_result, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_plugin_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(sg_plugin_descriptor, struct_size), 0u);
}

TEST(AbiLayout, StatusAndEnumValuesAreFrozen) {
  EXPECT_EQ(SG_OK, 0);
  EXPECT_EQ(SG_ERR_FAILED, 1);
  EXPECT_EQ(SG_ERR_INVALID, 2);
  EXPECT_EQ(SG_ERR_BACKPRESSURE, 3);
  EXPECT_EQ(SG_ERR_CLOSED, 4);
  EXPECT_EQ(SG_ERR_RETRY, 5);
  EXPECT_EQ(SG_ERR_REJECTED, 6);
  EXPECT_EQ(SG_ERR_UNSUPPORTED, 7);
  EXPECT_EQ(SG_ERR_NOT_FOUND, 8);
  EXPECT_EQ(SG_ERR_TIMEOUT, 9);
  EXPECT_EQ(SG_ERR_NO_MEMORY, 10);
  EXPECT_EQ(SG_PROP_OBJECT, 9u);
  EXPECT_EQ(SG_KIND_SOURCE, 1u);
  EXPECT_EQ(SG_KIND_SINK, 2u);
  EXPECT_EQ(SG_PLUGIN_UNLOAD_SAFE, 1u);
  EXPECT_EQ(SG_PROP_PATH, 32u);
  EXPECT_EQ(SG_ABI_VERSION(1, 0), 0x00010000u);
}
#endif
