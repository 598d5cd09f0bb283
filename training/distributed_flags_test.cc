#include "training/distributed_flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

class DistributedFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(name);
  }
  void TearDown() override {
    absl::SetFlag(&FLAGS_world_size, 0);
    absl::SetFlag(&FLAGS_rank, -1);
    absl::SetFlag(&FLAGS_dist_init, "");
    absl::SetFlag(&FLAGS_dist_timeout, 600);
    SetUp();
  }
};

TEST_F(DistributedFlagsTest, DefaultsToOneProcess) {
  absl::StatusOr<DistributedOptions> o = DistributedOptionsFromFlags();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->world_size, 1);
  EXPECT_EQ(o->rank, 0);
  EXPECT_EQ(o->init_method, "tcp://127.0.0.1:29500");
  EXPECT_EQ(o->timeout.count(), 600000);
}

TEST_F(DistributedFlagsTest, ReadsTheUsualVariables) {
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "3", 1);
  setenv("MASTER_ADDR", "10.0.0.7", 1);
  setenv("MASTER_PORT", "12345", 1);
  absl::StatusOr<DistributedOptions> o = DistributedOptionsFromFlags();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->world_size, 4);
  EXPECT_EQ(o->rank, 3);
  EXPECT_EQ(o->init_method, "tcp://10.0.0.7:12345");
}

TEST_F(DistributedFlagsTest, FlagsOverrideTheVariables) {
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "3", 1);
  absl::SetFlag(&FLAGS_world_size, 2);
  absl::SetFlag(&FLAGS_rank, 1);
  absl::SetFlag(&FLAGS_dist_init, "file:///tmp/store");
  absl::SetFlag(&FLAGS_dist_timeout, 2.5);
  absl::StatusOr<DistributedOptions> o = DistributedOptionsFromFlags();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->world_size, 2);
  EXPECT_EQ(o->rank, 1);
  EXPECT_EQ(o->init_method, "file:///tmp/store");
  EXPECT_EQ(o->timeout.count(), 2500);
}

TEST_F(DistributedFlagsTest, BadValuesNameTheirSource) {
  setenv("WORLD_SIZE", "two", 1);
  absl::StatusOr<DistributedOptions> o = DistributedOptionsFromFlags();
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "$WORLD_SIZE='two'")) << o.status();
  unsetenv("WORLD_SIZE");

  absl::SetFlag(&FLAGS_world_size, 2);
  absl::SetFlag(&FLAGS_rank, 2);
  o = DistributedOptionsFromFlags();
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "--rank")) << o.status();

  absl::SetFlag(&FLAGS_rank, 0);
  absl::SetFlag(&FLAGS_dist_init, "udp://host:1");
  o = DistributedOptionsFromFlags();
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "--dist_init")) << o.status();
  EXPECT_TRUE(absl::StrContains(o.status().message(), "udp://host:1")) << o.status();

  absl::SetFlag(&FLAGS_dist_init, "");
  absl::SetFlag(&FLAGS_dist_timeout, 0);
  o = DistributedOptionsFromFlags();
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "--dist_timeout")) << o.status();
}

}  // namespace
}  // namespace sf::training
