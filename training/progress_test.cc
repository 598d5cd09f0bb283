#include "training/progress.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

TEST(ProgressTest, FormatsStepLossRateAndEta) {
  EXPECT_EQ(ProgressLine::Format(1200, 5000, 2.31454, 4.8, 1231.2, "ex"),
            "step 1200/5000 (24.0%) | loss 2.3145 | 4.80 step/s | 1231 ex/s | ETA 13m12s");
  EXPECT_EQ(ProgressLine::Format(5000, 5000, 1.0, 2.0, 0.0, "tok"),
            "step 5000/5000 (100.0%) | loss 1.0000 | 2.00 step/s");
  EXPECT_TRUE(absl::StrContains(ProgressLine::Format(1, 10, 1.0, 0.0, 0.0, "ex"), "ETA ?"));
}

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(790), "13m10s");
  EXPECT_EQ(FormatDuration(7380), "2h03m");
  EXPECT_EQ(FormatDuration(3 * 86400 + 4 * 3600 + 5), "3d04h");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(ProgressTest, PlainLinesEveryNStepsWhenNotATerminal) {
  std::ostringstream out;
  double now = 0.0;
  ProgressLine p(out, {.total_steps = 10, .tty = false, .every_steps = 4},
                 [&now] { return now; });
  for (int step = 1; step <= 10; ++step) {
    now = step * 0.5;  // 2 steps per second
    p.Update(step, /*loss=*/step, /*items=*/8);
  }
  p.Finish();
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  EXPECT_TRUE(absl::StartsWith(lines[0], "step 4/10")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "loss 2.5000")) << lines[0];  // mean of 1..4
  EXPECT_TRUE(absl::StrContains(lines[0], "2.00 step/s")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "16 ex/s")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "ETA 3s")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[1], "loss 6.5000")) << lines[1];  // mean of 5..8
  EXPECT_TRUE(absl::StartsWith(lines[2], "step 10/10")) << lines[2];
  EXPECT_FALSE(absl::StrContains(out.str(), "\r"));
}

TEST(ProgressTest, PlainLineAfterLongSilence) {
  std::ostringstream out;
  double now = 0.0;
  ProgressLine p(out, {.total_steps = 1000, .tty = false, .every_steps = 500,
                       .max_silence_seconds = 30},
                 [&now] { return now; });
  p.Update(1, 1.0, 1);
  now = 31;
  p.Update(2, 1.0, 1);
  EXPECT_TRUE(absl::StartsWith(out.str(), "step 2/1000")) << out.str();
}

TEST(ProgressTest, RedrawsInPlaceOnATerminal) {
  std::ostringstream out;
  double now = 0.0;
  ProgressLine p(out, {.total_steps = 3, .tty = true, .tty_interval_seconds = 1.0},
                 [&now] { return now; });
  p.Update(1, 1.0, 1);  // too soon after the start: nothing
  now = 0.5;
  p.Update(2, 1.0, 1);  // still too soon
  EXPECT_EQ(out.str(), "");
  now = 0.6;
  p.Update(3, 1.0, 1);  // the last step always shows
  p.Finish();
  const std::string s = out.str();
  EXPECT_TRUE(absl::StartsWith(s, "\rstep 3/3")) << s;
  EXPECT_TRUE(absl::EndsWith(s, "\x1b[K\n")) << s;
}

}  // namespace
}  // namespace sf::training
