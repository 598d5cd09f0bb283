// The visualize_attention binary with bad drawing flags: a clear error before any work.
#include <string>

#include <gtest/gtest.h>

#include "tasks/testing/cli_runner.h"

namespace sf::visualize {
namespace {

using tasks::testing::CleanFailureProblem;
using tasks::testing::CliResult;

CliResult RunVisualize(const std::string& flag) {
  const std::string out = ::testing::TempDir() + "/viz_bad_flags";
  return tasks::testing::RunCli(
      tasks::testing::BinaryPath("tools/visualize/visualize_attention"),
      {"--mode=patterns", "--out_dir=" + out, "--threads=1", flag}, /*timeout_seconds=*/120);
}

TEST(VisualizeAttentionMainTest, OversizedOrNonFiniteCellsAreRejected) {
  for (const auto& [flag, expect] :
       {std::pair<std::string, std::string>{"--png_cell=2000", "--png_cell must be in [0, 64]"},
        {"--png_cell=-1", "--png_cell"},
        {"--svg_cell=inf", "--svg_cell must be in [0, 100]"},
        {"--svg_cell=nan", "--svg_cell"}}) {
    SCOPED_TRACE(flag);
    const CliResult r = RunVisualize(flag);
    EXPECT_EQ(CleanFailureProblem(r), "") << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("error: " + expect), std::string::npos) << r.stderr_text;
  }
}

TEST(VisualizeAttentionMainTest, LargestCellsStillDraw) {
  const CliResult r = RunVisualize("--png_cell=64");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
}

}  // namespace
}  // namespace sf::visualize
