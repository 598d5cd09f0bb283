#include "benchmarks/analysis/report_writer.h"

#include <cmath>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace sf::benchmarks::analysis {
namespace {

Measurement Example() {
  Measurement m;
  m.implementation = "fused";
  m.pass = "forward";
  m.mask = "causal";
  m.batch = 2;
  m.heads = 4;
  m.d_model = 128;
  m.length = 512;
  m.times_ms = {2.0, 1.0, 3.0};
  m.flops = 6e6;
  m.peak_rss_mib = 300.5;
  m.run_rss_mib = 12.25;
  m.cosine_similarity = 0.999999;
  m.max_abs_diff = 1.5e-6;
  Summarize(m);
  return m;
}

TEST(MeasurementTest, SummarizeFillsMedianIntervalAndGflops) {
  const Measurement m = Example();
  EXPECT_DOUBLE_EQ(m.median_ms, 2.0);
  EXPECT_DOUBLE_EQ(m.ci_low_ms, 1.0);
  EXPECT_DOUBLE_EQ(m.ci_high_ms, 3.0);
  EXPECT_DOUBLE_EQ(m.gflops, 3.0);  // 6e6 flop in 2 ms
  EXPECT_EQ(m.ConfigName(), "forward/causal/B2/H4/D128/L512");
}

TEST(CsvTest, HeaderAndRowHaveTheSameColumnsAndNaNIsEmpty) {
  Measurement skipped = Example();
  skipped.implementation = "torch_mha";
  skipped.status = "skipped: needs 9000 MiB, over the budget, of 4096 MiB";
  skipped.times_ms.clear();
  skipped.median_ms = Measurement::kNaN;
  const std::string csv = MeasurementsToCsv({Example(), skipped});
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1],
            "fused,forward,causal,2,4,128,512,ok,3,2,1,3,0.75,3,300.5,12.25,0.999999,1.5e-06,2;1;3");
  // The status with commas is quoted, so the row still splits into 19 fields outside quotes.
  EXPECT_NE(lines[2].find("\"skipped: needs 9000 MiB, over the budget, of 4096 MiB\""),
            std::string::npos);
  EXPECT_NE(lines[2].find(",,"), std::string::npos);  // empty median
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(lines[0], ',')).size(), 19u);
}

TEST(CsvTest, FieldQuoting) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

TEST(JsonTest, RoundTripsThroughTheParserWithNullForNaN) {
  Measurement m = Example();
  m.cosine_similarity = Measurement::kNaN;
  const nlohmann::json parsed = nlohmann::json::parse(MeasurementsToJson({m}).dump());
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 1u);
  const nlohmann::json& j = parsed[0];
  EXPECT_EQ(j["implementation"], "fused");
  EXPECT_EQ(j["length"], 512);
  EXPECT_DOUBLE_EQ(j["median_ms"].get<double>(), 2.0);
  EXPECT_TRUE(j["cosine_similarity"].is_null());
  EXPECT_EQ(j["times_ms"], nlohmann::json({2.0, 1.0, 3.0}));
  EXPECT_EQ(j["repetitions"], 3);
}

TEST(MarkdownTest, TableEscapesPipesAndPadsShortRows) {
  EXPECT_EQ(MarkdownTable({"a", "b"}, {{"1", "x|y"}, {"2"}}),
            "| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n");
}

TEST(MarkdownTest, FormatNumber) {
  EXPECT_EQ(FormatNumber(3.14159), "3.14");
  EXPECT_EQ(FormatNumber(12345.6), "12346");
  EXPECT_EQ(FormatNumber(Measurement::kNaN), "-");
}

}  // namespace
}  // namespace sf::benchmarks::analysis
