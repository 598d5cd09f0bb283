// The baselines report as a user runs it, on a small MNIST-format folder written here: bad flags
// end in one `error: ...` line before any evaluation, the metrics JSON survives a grid that
// cannot be written, and hole figures are n/a when no image has a hole.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/testing/cli_runner.h"
#include "vision/idx.h"
#include "vision/idx_fixtures.h"

namespace sf::vision {
namespace {

namespace fs = std::filesystem;
using tasks::testing::CleanFailureProblem;
using tasks::testing::CliResult;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/baselines_report/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// An MNIST-format folder of `count` random 28 x 28 images per split; with `test_is_train`, the
// test images are the training images.
std::string WriteIdxSet(uint32_t count, bool test_is_train = false) {
  const std::string dir = FreshDir("data");
  std::mt19937_64 rng(5);
  std::vector<uint8_t> pixels(size_t{count} * 28 * 28);
  for (const char* split : {"train", "t10k"}) {
    if (!test_is_train || std::string(split) == "train") {
      for (uint8_t& p : pixels) p = static_cast<uint8_t>(rng());
    }
    WritePlainFile(dir + "/" + split + "-images-idx3-ubyte",
                   IdxBytes(kIdxImagesMagic, {count, 28, 28}, pixels));
    WritePlainFile(dir + "/" + split + "-labels-idx1-ubyte",
                   IdxBytes(kIdxLabelsMagic, {count}, std::vector<uint8_t>(count, 1)));
  }
  return dir;
}

CliResult RunReport(const std::string& data_dir, const std::string& out_dir,
                    std::vector<std::string> flags) {
  flags.insert(flags.begin(),
               {"--data_dir=" + data_dir, "--threads=1", "--out=" + out_dir + "/metrics.json",
                "--grid=" + out_dir + "/grid.png"});
  return tasks::testing::RunCli(tasks::testing::BinaryPath("vision/baselines_report"), flags,
                                /*timeout_seconds=*/120);
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

TEST(BaselinesReportTest, BadFlagsEndInAnErrorLineBeforeAnyEvaluation) {
  const std::string data = WriteIdxSet(20);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--mask=patches", "--patch_size=5"}, "error: --patch_size 5 does not divide"},
      {{"--mask=patches", "--patch_size=0"}, "error: --patch_size"},
      {{"--mask=patches", "--mask_ratio=1.5"}, "error: --mask_ratio"},
      {{"--mask_ratio=nan"}, "error: --mask_ratio"},
      {{"--center_size=40"}, "error: --center_size 40 is larger"},
      {{"--center_size=-3"}, "error: --center_size"},
      {{"--grid_scale=0"}, "error: --grid_scale"},
      {{"--grid_scale=100000"}, "error: --grid_scale"},
      {{"--grid_rows=-1"}, "error: --grid_rows"},
      {{"--limit=-5"}, "error: --limit"},
      {{"--batch_size=0"}, "error: --batch_size"},
      {{"--mask=hexagons"}, "error: --mask"},
      {{"--neighbours=-2"}, "error: --neighbours"},
      {{"--neighbours=20"}, "error: --neighbours=20 needs more than 20 training images"},
      {{"--neighbour_temperature=0"}, "error: --neighbour_temperature"},
  };
  for (const auto& [flags, expected] : cases) {
    SCOPED_TRACE(flags.back());
    const std::string out = FreshDir("bad_flags");
    const CliResult r = RunReport(data, out, flags);
    EXPECT_EQ(CleanFailureProblem(r), "") << r.stderr_text;
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.stderr_text.find(expected), std::string::npos) << r.stderr_text;
    EXPECT_EQ(r.stdout_text.find("hole PSNR"), std::string::npos)
        << "it evaluated:\n" << r.stdout_text;
    EXPECT_FALSE(fs::exists(out + "/metrics.json"));
  }
}

TEST(BaselinesReportTest, MetricsAreWrittenEvenWhenTheGridCannotBe) {
  const std::string data = WriteIdxSet(24);
  const std::string out = FreshDir("missing_grid_dir");
  const CliResult r = RunReport(data, out, {"--grid=" + out + "/no/such/dir/grid.png"});
  EXPECT_EQ(CleanFailureProblem(r), "") << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(out + "/no/such/dir/grid.png"), std::string::npos) << r.stderr_text;
  const nlohmann::json json = ReadJson(out + "/metrics.json");
  ASSERT_FALSE(json.is_discarded()) << r.stdout_text;
  EXPECT_EQ(json["images"], 24);
  EXPECT_TRUE(json["methods"]["harmonic_fill"]["psnr"].is_number());
}

TEST(BaselinesReportTest, HoleFiguresAreNotApplicableWithoutHoles) {
  const std::string data = WriteIdxSet(24);
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--center_size=0"},
        std::vector<std::string>{"--mask=patches", "--mask_ratio=0"}}) {
    SCOPED_TRACE(flags.back());
    const std::string out = FreshDir("no_holes");
    const CliResult r = RunReport(data, out, flags);
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
    EXPECT_NE(r.stdout_text.find("n/a"), std::string::npos) << r.stdout_text;
    EXPECT_EQ(r.stdout_text.find("0.0000"), std::string::npos) << r.stdout_text;
    const nlohmann::json json = ReadJson(out + "/metrics.json");
    ASSERT_FALSE(json.is_discarded());
    for (const auto& [key, method] : json["methods"].items()) {
      SCOPED_TRACE(key);
      EXPECT_TRUE(method["psnr_hole"].is_null()) << method;
      EXPECT_TRUE(method["l1_hole"].is_null()) << method;
      EXPECT_EQ(method["images_with_hole"], 0);
    }
    EXPECT_TRUE(fs::exists(out + "/grid.png"));
  }
}

TEST(BaselinesReportTest, HoleFiguresAreNumbersWithHoles) {
  const std::string data = WriteIdxSet(24);
  const std::string out = FreshDir("holes");
  const CliResult r = RunReport(data, out, {"--center_size=10"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text.find("n/a"), std::string::npos) << r.stdout_text;
  const nlohmann::json json = ReadJson(out + "/metrics.json");
  ASSERT_FALSE(json.is_discarded());
  EXPECT_TRUE(json["methods"]["mean_fill"]["psnr_hole"].is_number());
  EXPECT_EQ(json["methods"]["mean_fill"]["images_with_hole"], 24);
  EXPECT_EQ(json["nearest_neighbour_search"]["k"], 20);
  EXPECT_TRUE(json["methods"]["nearest_neighbours"]["psnr_hole"].is_number());
  EXPECT_NE(r.stdout_text.find("nearest neighbours (20)"), std::string::npos) << r.stdout_text;
}

// A test image that is also a training image is its own nearest neighbour: with k = 1 its
// hole is filled exactly (PSNR at the 100 dB of an MSE floored at 1e-10), which no other
// method comes near on random pixels.
TEST(BaselinesReportTest, NearestNeighbourFillFindsATestImageInTheTrainingSet) {
  const std::string data = WriteIdxSet(24, /*test_is_train=*/true);
  const std::string out = FreshDir("nearest");
  const CliResult r = RunReport(data, out, {"--center_size=10", "--neighbours=1"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const nlohmann::json json = ReadJson(out + "/metrics.json");
  ASSERT_FALSE(json.is_discarded());
  EXPECT_NEAR(json["methods"]["nearest_neighbours"]["psnr"].get<double>(), 100.0, 1e-6);
  EXPECT_LT(json["methods"]["harmonic_fill"]["psnr"].get<double>(), 30.0);

  const std::string without = FreshDir("no_nearest");
  const CliResult r0 = RunReport(data, without, {"--neighbours=0"});
  ASSERT_EQ(r0.exit_code, 0) << r0.stderr_text;
  const nlohmann::json json0 = ReadJson(without + "/metrics.json");
  EXPECT_FALSE(json0["methods"].contains("nearest_neighbours"));
  EXPECT_TRUE(json0["nearest_neighbour_search"].is_null());
}

}  // namespace
}  // namespace sf::vision
