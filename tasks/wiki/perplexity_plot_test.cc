#include "tasks/wiki/perplexity_plot.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace sf::tasks::wiki {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PerplexityPlotTest, WritesCsvJsonAndSvg) {
  const std::string prefix = std::string(::testing::TempDir()) + "/plot/perplexity";
  std::vector<EpochPerplexity> history = {{.step = 10, .epoch = 1, .valid = 300, .seconds = 5},
                                          {.step = 20, .epoch = 2, .valid = 150, .test = 140}};
  ASSERT_TRUE(WritePerplexityReport(history, prefix).ok());
  EXPECT_EQ(Read(prefix + ".csv"),
            "step,epoch,valid_perplexity,test_perplexity,seconds\n"
            "10,1.0000,300.0000,,5.0\n20,2.0000,150.0000,140.0000,0.0\n");
  EXPECT_NE(Read(prefix + ".json").find("\"test_perplexity\": 140.0"), std::string::npos);
  const std::string svg = Read(prefix + ".svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("test (orange)"), std::string::npos);
}

TEST(PerplexityPlotTest, ReadsTheEvaluationsBeforeACheckpointFromTheRunLog) {
  const std::string path = std::string(::testing::TempDir()) + "/logged/metrics.jsonl";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << R"({"step": 5, "wall_time": 1000.0, "train/loss": 6.1})" "\n"
                      << R"({"step": 10, "wall_time": 1010.0, "train/loss": 5.9})" "\n"
                      << R"({"step": 10, "wall_time": 1012.0, "eval/perplexity": 400.0})" "\n"
                      << R"({"step": 15, "wall_time": 1020.0, "train/loss": 5.5})" "\n"
                      << R"({"step": 20, "wall_time": 1030.0, "eval/perplexity": 300.0,)"
                      << R"( "eval/test_perplexity": 320.0})" "\n"
                      << R"({"step": 25, "wall_time": 1040.0, "train/loss": 5.2})" "\n"
                      << R"({"step": 30, "wall_time": 1050.0, "eval/perplexity": 250.0})" "\n"
                      << R"({"step": 31, "wall_ti)";  // cut short by a crash
  const absl::StatusOr<LoggedHistory> history = ReadLoggedHistory(path, 25, 10.0);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->rows.size(), 2u);
  EXPECT_EQ(history->rows[0].step, 10);
  EXPECT_DOUBLE_EQ(history->rows[0].epoch, 1.0);
  EXPECT_DOUBLE_EQ(history->rows[0].valid, 400.0);
  EXPECT_FALSE(history->rows[0].test.has_value());
  EXPECT_DOUBLE_EQ(history->rows[0].seconds, 12.0);
  EXPECT_EQ(history->rows[1].step, 20);
  EXPECT_DOUBLE_EQ(*history->rows[1].test, 320.0);
  EXPECT_DOUBLE_EQ(history->seconds, 40.0);  // through step 25
  const absl::StatusOr<LoggedHistory> missing = ReadLoggedHistory(path + ".none", 25, 10.0);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find(path + ".none"), std::string::npos);
}

}  // namespace
}  // namespace sf::tasks::wiki
