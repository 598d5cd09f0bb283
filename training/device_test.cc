#include "training/device.h"

#include <torch/cuda.h>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

TEST(DeviceTest, CpuIsTheDefaultAndAlwaysAvailable) {
  EXPECT_EQ(absl::GetFlag(FLAGS_device), "cpu");
  absl::StatusOr<c10::Device> d = DeviceFromFlags();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->is_cpu());
  EXPECT_TRUE(ResolveDevice(" CPU ", 0)->is_cpu());
}

TEST(DeviceTest, CudaResolvesWhenGpusAreVisible) {
  absl::StatusOr<c10::Device> d = ResolveDevice("cuda", 2);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->is_cuda());
  EXPECT_EQ(d->index(), 0);
  d = ResolveDevice("cuda:1", 2);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->index(), 1);
}

TEST(DeviceTest, CudaWithoutGpuIsAClearError) {
  absl::Status s = ResolveDevice("cuda", 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "--device=cuda")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "Use --device=cpu")) << s;
}

TEST(DeviceTest, GpuIndexOutOfRangeNamesTheRange) {
  absl::Status s = ResolveDevice("cuda:3", 2).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "cuda:0 to cuda:1")) << s;
}

TEST(DeviceTest, RejectsOtherSpellingsNamingTheValue) {
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda1", ""}) {
    absl::Status s = ResolveDevice(bad, 4).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("--device=", bad))) << s;
  }
}

TEST(DeviceTest, ParseDeviceAgreesWithTheLinkedLibTorch) {
  absl::StatusOr<c10::Device> d = ParseDevice("cuda");
  EXPECT_EQ(d.ok(), torch::cuda::is_available());
}

}  // namespace
}  // namespace sf::training
