// The attention benchmark's memory counters are each case's own: a case run after a
// memory-hungry one (or after its own agreement check, which runs LibTorch's dense attention)
// does not inherit that peak.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/testing/cli_runner.h"

namespace sf::benchmarks {
namespace {

using tasks::testing::CliResult;

TEST(AttentionBenchmarkMemoryTest, EveryRepetitionReportsItsOwnPeak) {
  // L = 1024: the dense baseline's L x L buffers are tens of MiB, the fused kernel needs none.
  const CliResult r = tasks::testing::RunCli(
      tasks::testing::BinaryPath("benchmarks/attention_benchmark"),
      {"--threads=1", "--preset=quick",
       "--benchmark_filter=^attention/(fused|torch_mha)/forward/none/B2/H4/D128/L1024(/|$)",
       "--benchmark_repetitions=3", "--benchmark_min_time=0.01", "--benchmark_format=json"},
      /*timeout_seconds=*/300);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  if (r.stderr_text.find("cannot reset the peak resident set") != std::string::npos ||
      r.stderr_text.find("/proc/self/clear_refs") != std::string::npos) {
    GTEST_SKIP() << "the kernel does not let the benchmark reset its peak:\n" << r.stderr_text;
  }
  // Google Benchmark writes the spread of a counter that is 0 in every repetition as a bare
  // NaN, which is not JSON.
  std::string text = r.stdout_text;
  for (const std::string nan : {": -nan", ": nan", ": NaN"}) {
    for (size_t at = text.find(nan); at != std::string::npos; at = text.find(nan, at)) {
      text.replace(at, nan.size(), ": null");
    }
  }
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << r.stdout_text;
  std::map<std::string, std::vector<double>> run_rss;  // implementation -> per repetition
  for (const nlohmann::json& entry : json["benchmarks"]) {
    if (entry.value("run_type", "") != "iteration") continue;
    const std::string name = entry.value("name", "");
    run_rss[name.find("/fused/") != std::string::npos ? "fused" : "torch_mha"].push_back(
        entry.value("run_rss_mib", -1.0));
  }
  ASSERT_EQ(run_rss["fused"].size(), 3u) << r.stdout_text;
  ASSERT_EQ(run_rss["torch_mha"].size(), 3u) << r.stdout_text;
  const auto [fused_min, fused_max] =
      std::minmax_element(run_rss["fused"].begin(), run_rss["fused"].end());
  const double mha_min =
      *std::min_element(run_rss["torch_mha"].begin(), run_rss["torch_mha"].end());
  EXPECT_LT(*fused_max - *fused_min, 16.0) << r.stdout_text;
  // The baseline's scores (2 x 4 x 1024 x 1024 floats, 32 MiB) still show in its own figure.
  EXPECT_GT(mha_min, *fused_max + 24.0) << r.stdout_text;
}

}  // namespace
}  // namespace sf::benchmarks
