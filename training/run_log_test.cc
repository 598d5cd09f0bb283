#include "training/run_log.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "training/event_reader.h"
#include "training/event_writer.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("run_log_" + name);
  fs::remove_all(dir);
  return dir.string();
}

TEST(RunLogTest, AppendsJsonLinesAcrossReopens) {
  const std::string dir = FreshDir("append");
  for (int run = 0; run < 2; ++run) {
    absl::StatusOr<std::unique_ptr<RunLogger>> log = RunLogger::Open(dir);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Log(10 * (run + 1), {{"train/loss", 0.5 - run * 0.25}}).ok());
  }
  const std::string text = *ReadFileToString(dir + "/metrics.jsonl");
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << text;
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(first["step"], 10);
  EXPECT_EQ(first["train/loss"], 0.5);
  EXPECT_EQ(second["step"], 20);
  EXPECT_EQ(second["train/loss"], 0.25);
  EXPECT_GT(first["wall_time"].get<double>(), 1.6e9);

  int event_files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (absl::StrContains(e.path().filename().string(), "tfevents")) ++event_files;
  }
  EXPECT_EQ(event_files, 2);
}

TEST(RunLogTest, DropsTheRecordsPastTheStepItContinuesFrom) {
  const std::string dir = FreshDir("resume");
  {
    auto log = RunLogger::Open(dir);
    ASSERT_TRUE(log.ok());
    for (int64_t step : {1, 2, 3, 4}) ASSERT_TRUE((*log)->Log(step, {{"x", 1.0}}).ok());
  }
  // A line cut short by a crash goes too.
  std::string text = *ReadFileToString(dir + "/metrics.jsonl");
  ASSERT_TRUE(WriteFileAtomically(dir + "/metrics.jsonl", text + "{\"step\": 5, \"x\"").ok());
  const auto steps = [&] {
    std::vector<int64_t> out;
    for (absl::string_view line : absl::StrSplit(*ReadFileToString(dir + "/metrics.jsonl"), '\n',
                                                 absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line)["step"].get<int64_t>());
    }
    return out;
  };
  {
    auto log = RunLogger::Open(dir, /*keep_through_step=*/2);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2}));
    ASSERT_TRUE((*log)->Log(3, {{"x", 2.0}}).ok());
  }
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2, 3}));
  ASSERT_TRUE(RunLogger::Open(dir, /*keep_through_step=*/-1).ok());
  EXPECT_TRUE(steps().empty());
}

std::set<std::string> EventFiles(const std::string& dir) {
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (absl::StrContains(e.path().filename().string(), "tfevents")) {
      files.insert(e.path().string());
    }
  }
  return files;
}

// The records after the file-version one, with the wall time (the first 9 bytes) cut off.
std::vector<std::string> EventsAfterWallTime(const std::string& path) {
  absl::StatusOr<std::vector<std::string>> records =
      SplitTfRecords(*ReadFileToString(path), path);
  EXPECT_TRUE(records.ok()) << records.status();
  std::vector<std::string> out;
  for (size_t i = 1; records.ok() && i < records->size(); ++i) {
    out.push_back((*records)[i].substr(9));
  }
  return out;
}

TEST(RunLogTest, AResumedRunTellsTensorBoardWhereItContinues) {
  const std::string dir = FreshDir("session_start");
  ASSERT_TRUE(RunLogger::Open(dir, /*keep_through_step=*/-1).ok());
  std::set<std::string> before = EventFiles(dir);
  ASSERT_EQ(before.size(), 1u);
  // A fresh run starts its file with START at step 0: older files in the folder are dropped.
  EXPECT_EQ(EventsAfterWallTime(*before.begin()),
            std::vector<std::string>{EncodeSessionStartEvent(0.0, 0).substr(9)});
  {
    auto log = RunLogger::Open(dir, /*keep_through_step=*/300);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Log(301, {{"x", 1.0}}).ok());
  }
  std::set<std::string> after = EventFiles(dir);
  ASSERT_EQ(after.size(), 2u);
  for (const std::string& old : before) after.erase(old);
  const std::vector<std::string> events = EventsAfterWallTime(*after.begin());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], EncodeSessionStartEvent(0.0, 301).substr(9));
  absl::StatusOr<std::vector<ScalarEvent>> scalars = ReadScalarEvents(*after.begin());
  ASSERT_TRUE(scalars.ok()) << scalars.status();
  ASSERT_EQ(scalars->size(), 1u);
  EXPECT_EQ((*scalars)[0].step, 301);

  // Without keep_through_step, nothing is dropped and no START is written.
  before = EventFiles(dir);
  ASSERT_TRUE(RunLogger::Open(dir).ok());
  after = EventFiles(dir);
  for (const std::string& old : before) after.erase(old);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(EventsAfterWallTime(*after.begin()).empty());
}

TEST(RunLogTest, NonFiniteValuesBecomeNullInJson) {
  const std::string dir = FreshDir("nan");
  auto log = RunLogger::Open(dir);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Log(1, {{"x", NAN}}).ok());
  nlohmann::json line = nlohmann::json::parse(*ReadFileToString((*log)->metrics_path()));
  EXPECT_TRUE(line["x"].is_null());
}

TEST(RunLogTest, FinalMetricsAreWrittenAsOneJsonDocument) {
  const std::string dir = FreshDir("final");
  auto log = RunLogger::Open(dir);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->WriteFinal({{"steps", 100}, {"eval", {{"accuracy", 0.9}}}}).ok());
  ASSERT_TRUE((*log)->WriteFinal({{"steps", 120}}).ok());
  nlohmann::json final = nlohmann::json::parse(*ReadFileToString(dir + "/final_metrics.json"));
  EXPECT_EQ(final, nlohmann::json({{"steps", 120}}));
}

TEST(RunLogTest, UnwritableRunDirectoryNamesThePath) {
  const std::string file = FreshDir("file");
  ASSERT_TRUE(WriteFileAtomically(file, "not a directory").ok());
  absl::StatusOr<std::unique_ptr<RunLogger>> log = RunLogger::Open(file + "/sub");
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::StrContains(log.status().message(), "run_log_file/sub")) << log.status();
}

}  // namespace
}  // namespace sf::training
