#include "tools/download/progress.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace sf::download {
namespace {

TEST(FormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(84125825), "80.23 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.00 GiB");
}

TEST(FormatTest, Eta) {
  EXPECT_EQ(FormatEta(absl::Seconds(7)), "0:07");
  EXPECT_EQ(FormatEta(absl::Milliseconds(6200)), "0:07");
  EXPECT_EQ(FormatEta(absl::Seconds(754)), "12:34");
  EXPECT_EQ(FormatEta(absl::Seconds(3723)), "1:02:03");
  EXPECT_EQ(FormatEta(absl::InfiniteDuration()), "--:--");
}

TEST(FormatTest, ProgressWithAndWithoutTotal) {
  EXPECT_EQ(FormatProgress("x.tgz", 1 << 20, 4 << 20, 1 << 20),
            "x.tgz: 1.00 MiB / 4.00 MiB (25%), 1.00 MiB/s, ETA 0:03");
  EXPECT_EQ(FormatProgress("x.tgz", 2048, -1, 1024), "x.tgz: 2.0 KiB, 1.0 KiB/s");
  EXPECT_EQ(FormatProgress("x.tgz", 0, 100, 0), "x.tgz: 0 B / 100 B (0%), ETA --:--");
}

TEST(ProgressLineTest, TerminalRewritesOneLineAndEndsWithNewline) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/true);
  const absl::Time t0 = absl::UnixEpoch();
  line.Update(0, 1000, t0);
  line.Update(500, 1000, t0 + absl::Seconds(1));
  line.Update(600, 1000, t0 + absl::Seconds(1) + absl::Milliseconds(10));  // rate-limited
  line.Finish(1000, 1000, t0 + absl::Seconds(2));
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_TRUE(absl::StrContains(text, "f: 500 B / 1000 B (50%), 500 B/s, ETA 0:01")) << text;
  EXPECT_TRUE(absl::StrContains(text, "(100%)")) << text;
  EXPECT_FALSE(absl::StrContains(text, "600 B")) << text;
}

TEST(ProgressLineTest, ShorterLineOnTerminalErasesThePreviousTail) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/true);
  const absl::Time t0 = absl::UnixEpoch();
  line.Update(0, -1, t0);
  line.Update(5000, -1, t0 + absl::Seconds(1));  // "f: 4.9 KiB, 4.9 KiB/s"
  line.Finish(5000, -1, t0 + absl::Seconds(100));  // "f: 4.9 KiB, 50 B/s" + padding
  std::vector<std::string> parts = absl::StrSplit(out.str(), '\r', absl::SkipEmpty());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].size(), parts[1].size() + 1) << "'" << parts[2] << "'";
}

TEST(ProgressLineTest, PlainOutputWritesPeriodicLines) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/false, absl::Seconds(10));
  const absl::Time t0 = absl::UnixEpoch();
  line.Update(0, 100, t0);
  line.Update(10, 100, t0 + absl::Seconds(3));
  line.Update(50, 100, t0 + absl::Seconds(11));
  line.Update(60, 100, t0 + absl::Seconds(15));
  line.Finish(100, 100, t0 + absl::Seconds(20));
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_TRUE(absl::StrContains(lines[0], "50 B / 100 B (50%)")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[1], "100 B / 100 B (100%), 5 B/s, ETA 0:00")) << lines[1];
}

TEST(ProgressLineTest, RateCountsOnlyBytesOfThisRun) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/false);
  const absl::Time t0 = absl::UnixEpoch();
  line.Update(9000, 10000, t0);  // resumed at 9000
  line.Finish(10000, 10000, t0 + absl::Seconds(1));
  EXPECT_TRUE(absl::StrContains(out.str(), "1000 B/s")) << out.str();
}

TEST(ProgressLineTest, AbandonErasesTheTerminalLine) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/true);
  line.Update(0, 10, absl::UnixEpoch());
  line.Abandon();
  EXPECT_EQ(out.str(), "\rf: 0 B / 10 B (0%), ETA --:--\r" + std::string(29, ' ') + "\r");
  std::ostringstream plain;
  ProgressLine plain_line("f", &plain, /*tty=*/false);
  plain_line.Update(0, 10, absl::UnixEpoch());
  plain_line.Abandon();
  EXPECT_EQ(plain.str(), "");
}

TEST(ProgressLineTest, FinishWithoutUpdateWritesNothing) {
  std::ostringstream out;
  ProgressLine line("f", &out, /*tty=*/false);
  line.Finish(0, 0, absl::UnixEpoch());
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace sf::download
