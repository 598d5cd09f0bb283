#include "tasks/wiki/perplexity_plot.h"

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

}  // namespace
}  // namespace sf::tasks::wiki
