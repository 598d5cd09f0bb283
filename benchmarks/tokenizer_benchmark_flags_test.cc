// The tokenizer benchmark with a --data that has no text: an error naming it, not a table of
// throughputs over zero bytes.
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tasks/testing/cli_runner.h"

namespace sf::benchmarks {
namespace {

using tasks::testing::CleanFailureProblem;
using tasks::testing::CliResult;

CliResult RunWithData(const std::string& data) {
  return tasks::testing::RunCli(tasks::testing::BinaryPath("benchmarks/tokenizer_benchmark"),
                                {"--data=" + data, "--repeats=1", "--threads=1"},
                                /*timeout_seconds=*/60);
}

TEST(TokenizerBenchmarkFlagsTest, DataWithoutTextIsAnErrorNamingThePath) {
  const std::string dir = ::testing::TempDir() + "/tokenizer_data";
  std::filesystem::create_directories(dir);
  const std::string empty = dir + "/empty.txt";
  std::ofstream(empty).close();
  for (const auto& [data, reason] : {std::pair<std::string, std::string>{dir, "a directory"},
                                     {empty, "is empty"},
                                     {dir + "/missing.txt", "cannot open"}}) {
    SCOPED_TRACE(data);
    const CliResult r = RunWithData(data);
    EXPECT_EQ(CleanFailureProblem(r), "") << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("error: "), std::string::npos) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(data), std::string::npos) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(reason), std::string::npos) << r.stderr_text;
    EXPECT_EQ(r.stdout_text.find("MB/s"), std::string::npos) << "it ran:\n" << r.stdout_text;
  }
}

}  // namespace
}  // namespace sf::benchmarks
