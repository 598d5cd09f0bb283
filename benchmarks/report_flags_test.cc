// The report binary with bad timing flags: a clear error before any benchmark runs.
#include <string>

#include <gtest/gtest.h>

#include "tasks/testing/cli_runner.h"

namespace sf::benchmarks {
namespace {

using tasks::testing::CleanFailureProblem;
using tasks::testing::CliResult;

TEST(ReportFlagsTest, NegativeOrNonFiniteTimingFlagsAreRejected) {
  for (const std::string flag :
       {"--min_time=-5", "--min_time=nan", "--max_dense_mib=-3", "--max_dense_mib=inf"}) {
    SCOPED_TRACE(flag);
    const CliResult r = tasks::testing::RunCli(
        tasks::testing::BinaryPath("benchmarks/report"),
        {"--quick", "--out=" + ::testing::TempDir() + "/report_bad_flags", "--threads=1", flag},
        /*timeout_seconds=*/60);
    EXPECT_EQ(CleanFailureProblem(r), "") << r.stderr_text;
    const std::string name = flag.substr(0, flag.find('='));
    EXPECT_NE(r.stderr_text.find("error: " + name), std::string::npos) << r.stderr_text;
    EXPECT_EQ(r.stderr_text.find("ETA"), std::string::npos) << "benchmarks ran:\n"
                                                            << r.stderr_text;
  }
}

}  // namespace
}  // namespace sf::benchmarks
