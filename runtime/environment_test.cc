#include "runtime/environment.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::runtime {
namespace {

TEST(EnvironmentTest, ConfigureSetsThreadsAndSeed) {
  ASSERT_TRUE(ConfigureRuntime({.threads = 1, .seed = 7}).ok());
  EXPECT_EQ(at::get_num_threads(), 1);
  at::Tensor a = at::rand({4});
  ASSERT_TRUE(ConfigureRuntime({.threads = 1, .seed = 7}).ok());
  at::Tensor b = at::rand({4});
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_TRUE(absl::StrContains(RuntimeBanner(), "seed 7"));
}

TEST(EnvironmentTest, RejectsZeroThreadsNamingTheValue) {
  absl::Status s = ConfigureRuntime({.threads = 0, .seed = 0});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "got 0")) << s;
}

TEST(EnvironmentTest, BannerNamesLibTorchAndBlas) {
  std::string banner = RuntimeBanner();
  EXPECT_TRUE(absl::StrContains(banner, "LibTorch 1.")) << banner;
  EXPECT_TRUE(absl::StrContains(banner, "BLAS")) << banner;
  // LibTorch links libblas.so.3, so some BLAS is always loaded.
  EXPECT_FALSE(LoadedBlasLibrary().empty());
}

TEST(EnvironmentTest, DescribeBlasNamesKnownLibraries) {
  EXPECT_EQ(DescribeBlas("/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3"),
            "OpenBLAS (OpenMP)");
  EXPECT_TRUE(absl::StartsWith(DescribeBlas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"),
                               "reference BLAS"));
  EXPECT_EQ(DescribeBlas(""), "none loaded");
  EXPECT_GE(AvailableCores(), 1);
}

}  // namespace
}  // namespace sf::runtime
