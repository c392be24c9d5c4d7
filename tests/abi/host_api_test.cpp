// The host functions as a plugin sees them: nothing a plugin passes (a null context, a
// length that is garbage, a huge batch) and nothing that fails inside the host (a store
// that throws) may crash the daemon or unwind into the plugin's frames.
#include <gtest/gtest.h>

#include <stdexcept>

#include "buffer/ingest.hpp"
#include "buffer/memory_buffer.hpp"
#include "plugin/host_context.hpp"

namespace storegate {
namespace {

// A state store whose every call throws, as one out of memory or with a bug would.
class ThrowingState final : public StateStore {
 public:
  std::optional<std::string> get(std::string_view, std::string_view) override {
    throw std::runtime_error("state store exploded");
  }
  Status put(std::string_view, std::string_view, std::string_view) override {
    throw std::bad_alloc();
  }
  Status erase(std::string_view, std::string_view) override { throw 42; }
};

sg_str str(std::string_view s) {
  return {s.data(), s.size()};
}

void noReceiver(void*, sg_bytes) {}

class HostApi : public ::testing::Test {
 protected:
  MemoryBuffer buffer_;
  Ingest ingest_{buffer_, "store-1"};
  const sg_host* host_ = hostTable();
};

}  // namespace

TEST_F(HostApi, AStoreThatThrowsBecomesFailedNotACrash) {
  ThrowingState state;
  sg_host_ctx ctx("p", HostServices{&ingest_, &state, "store-1"});
  EXPECT_EQ(host_->state_get(&ctx, str("k"), &noReceiver, nullptr), SG_ERR_FAILED);
  const uint8_t v[1] = {1};
  EXPECT_EQ(host_->state_put(&ctx, str("k"), sg_bytes{v, 1}), SG_ERR_FAILED);
  EXPECT_EQ(host_->state_delete(&ctx, str("k")), SG_ERR_FAILED);
  EXPECT_EQ(ctx.in_flight.load(), 0) << "a thrown call must still leave the in-flight count";
}

TEST_F(HostApi, ANullContextOrAGarbageLengthIsRefusedBeforeAnythingIsRead) {
  EXPECT_EQ(host_->state_put(nullptr, str("k"), sg_bytes{nullptr, 0}), SG_ERR_INVALID);
  EXPECT_EQ(host_->emit(nullptr, nullptr), SG_ERR_INVALID);
  host_->log(nullptr, SG_LOG_INFO, str("no context"));  // returns, does not crash
  host_->metric(nullptr, str("m"), SG_METRIC_GAUGE_SET, 1);

  sg_host_ctx ctx("p", HostServices{&ingest_, &buffer_, "store-1"});
  const uint8_t small[4] = {1, 2, 3, 4};
  // Null with a length, and lengths far beyond the bounds (the pointers are to 4 bytes:
  // had the host read them, ASan and often the MMU would say so).
  EXPECT_EQ(host_->state_put(&ctx, sg_str{nullptr, 5}, sg_bytes{small, 4}), SG_ERR_INVALID);
  EXPECT_EQ(host_->state_put(&ctx, str("k"), sg_bytes{nullptr, 4}), SG_ERR_INVALID);
  EXPECT_EQ(host_->state_put(&ctx, sg_str{"k", size_t(1) << 40}, sg_bytes{small, 4}),
            SG_ERR_INVALID);
  EXPECT_EQ(host_->state_put(&ctx, str("k"), sg_bytes{small, (size_t(16) << 20) + 1}),
            SG_ERR_INVALID);
  EXPECT_EQ(host_->state_get(&ctx, sg_str{"k", 1025}, &noReceiver, nullptr), SG_ERR_INVALID);
  EXPECT_EQ(host_->state_delete(&ctx, sg_str{nullptr, 1}), SG_ERR_INVALID);
  host_->metric(&ctx, sg_str{"m", 257}, SG_METRIC_GAUGE_SET, 1);
  host_->metric(&ctx, sg_str{nullptr, 3}, SG_METRIC_GAUGE_SET, 1);
  EXPECT_TRUE(ctx.metrics().empty());
  EXPECT_EQ(host_->emit_batch(&ctx, nullptr, 3), SG_ERR_INVALID);
  sg_event one{};
  one.struct_size = sizeof(sg_event);
  EXPECT_EQ(host_->emit_batch(&ctx, &one, 1'000'000), SG_ERR_INVALID)
      << "a huge count is refused before the array is walked";

  // Within the bounds the same calls work.
  std::string big(1024, 'k');
  EXPECT_EQ(host_->state_put(&ctx, str(big), sg_bytes{small, 4}), SG_OK);
  EXPECT_EQ(buffer_.get("p", big), std::string("\x01\x02\x03\x04"));
  host_->metric(&ctx, str("frames_total"), SG_METRIC_COUNTER_ADD, 2);
  EXPECT_EQ(ctx.metrics().at("frames_total"), 2);
}

}  // namespace storegate
