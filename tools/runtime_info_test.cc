// runtime_info with a matrix size no quick check needs: a clear error, no allocation attempt.
#include <string>

#include <gtest/gtest.h>

#include "tasks/testing/cli_runner.h"

namespace sf::tools {
namespace {

TEST(RuntimeInfoTest, OversizedMatricesAreRejected) {
  const tasks::testing::CliResult r = tasks::testing::RunCli(
      tasks::testing::BinaryPath("tools/runtime_info"), {"--size=200000", "--threads=1"},
      /*timeout_seconds=*/60);
  EXPECT_EQ(tasks::testing::CleanFailureProblem(r), "") << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("error: --size must be at most 16384"), std::string::npos)
      << r.stderr_text;
}

}  // namespace
}  // namespace sf::tools
