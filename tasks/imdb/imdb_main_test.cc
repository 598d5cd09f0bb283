// The `imdb` binary end to end on a small fixture: training, --predict (argument and stdin),
// and one-line errors.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tasks/imdb/imdb_fixture.h"
#include "tasks/testing/cli_runner.h"

namespace sf::tasks::imdb {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;

CliResult RunImdb(const std::string& args) {
  return testing::RunShell(absl::StrCat("tasks/imdb/imdb --threads=1 ", args),
                           /*timeout_seconds=*/240);
}

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  fs::remove_all(dir);
  return dir;
}

// Lines starting with "error:".
std::vector<std::string> ErrorLines(const std::string& out) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "error:")) lines.emplace_back(line);
  }
  return lines;
}

constexpr char kSmallModel[] =
    "--d_model=16 --heads=2 --d_ff=32 --max_length=24 --vocab_size=100 --min_freq=1 "
    "--batch_size=8 --epochs=4 --lr=1e-2 --dropout=0 --embedding_dropout=0 "
    "--validation_fraction=0.2";

TEST(ImdbMainTest, TrainsThenPredicts) {
  const std::string data = WriteImdbFixture(Dir("main_data") + "/aclImdb",
                                            {.reviews_per_class = 50, .with_test = true});
  const std::string out_dir = Dir("main_run");
  CliResult train =
      RunImdb(absl::StrCat("--data_dir=", data, " --out_dir=", out_dir, " ", kSmallModel));
  ASSERT_EQ(train.exit_code, 0) << train.stdout_text;
  EXPECT_NE(train.stdout_text.find("epoch 4/4"), std::string::npos) << train.stdout_text;
  EXPECT_NE(train.stdout_text.find("precision"), std::string::npos) << train.stdout_text;
  EXPECT_NE(train.stdout_text.find("test accuracy"), std::string::npos) << train.stdout_text;
  const std::string checkpoint = out_dir + "/checkpoints/best.sfckpt";
  ASSERT_TRUE(fs::exists(checkpoint));
  ASSERT_TRUE(fs::exists(out_dir + "/metrics.json"));

  CliResult one = RunImdb(absl::StrCat("--checkpoint=", checkpoint,
                                   " --predict='A wonderful, brilliant film. Loved it!'"));
  ASSERT_EQ(one.exit_code, 0) << one.stdout_text;
  EXPECT_NE(one.stdout_text.find("positive\t0."), std::string::npos) << one.stdout_text;

  const std::string input = Dir("main_stdin") + ".txt";
  std::ofstream(input) << "An awful, boring mess.\nSuperb! A masterpiece.\n";
  CliResult lines =
      RunImdb(absl::StrCat("--checkpoint=", checkpoint, " --predict=- < ", input));
  ASSERT_EQ(lines.exit_code, 0) << lines.stdout_text;
  const size_t negative = lines.stdout_text.find("negative\t");
  const size_t positive = lines.stdout_text.find("positive\t");
  ASSERT_NE(negative, std::string::npos) << lines.stdout_text;
  ASSERT_NE(positive, std::string::npos) << lines.stdout_text;
  EXPECT_LT(negative, positive) << lines.stdout_text;
}

TEST(ImdbMainTest, UserErrorsAreOneLine) {
  const std::string missing = Dir("main_missing");
  CliResult r = RunImdb(absl::StrCat("--data_dir=", missing, " --out_dir=", Dir("main_err_run")));
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  ASSERT_EQ(ErrorLines(r.stdout_text).size(), 1u) << r.stdout_text;
  EXPECT_NE(ErrorLines(r.stdout_text)[0].find(missing), std::string::npos) << r.stdout_text;

  const std::string no_neg = Dir("main_no_neg") + "/aclImdb";
  fs::create_directories(no_neg + "/train/pos");
  r = RunImdb(absl::StrCat("--data_dir=", no_neg));
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  ASSERT_EQ(ErrorLines(r.stdout_text).size(), 1u) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("train/neg"), std::string::npos) << r.stdout_text;

  const std::string checkpoint = Dir("main_no_ckpt") + "/best.sfckpt";
  r = RunImdb(absl::StrCat("--checkpoint=", checkpoint, " --predict=hello"));
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  ASSERT_EQ(ErrorLines(r.stdout_text).size(), 1u) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(checkpoint), std::string::npos) << r.stdout_text;

  r = RunImdb("--backend=magic --data_dir=" + WriteImdbFixture(Dir("main_flag") + "/aclImdb"));
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("--backend=magic"), std::string::npos) << r.stdout_text;
}

}  // namespace
}  // namespace sf::tasks::imdb
