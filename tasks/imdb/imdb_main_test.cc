// The `imdb` binary end to end on a small fixture: training, --predict (argument and stdin),
// and one-line errors.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tasks/imdb/imdb_fixture.h"

namespace sf::tasks::imdb {
namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

RunResult RunImdb(const std::string& args) {
  const std::string command = absl::StrCat("tasks/imdb/imdb --threads=1 ", args, " 2>&1");
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
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
  RunResult train =
      RunImdb(absl::StrCat("--data_dir=", data, " --out_dir=", out_dir, " ", kSmallModel));
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("epoch 4/4"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("precision"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("test accuracy"), std::string::npos) << train.out;
  const std::string checkpoint = out_dir + "/checkpoints/best.sfckpt";
  ASSERT_TRUE(fs::exists(checkpoint));
  ASSERT_TRUE(fs::exists(out_dir + "/metrics.json"));

  RunResult one = RunImdb(absl::StrCat("--checkpoint=", checkpoint,
                                   " --predict='A wonderful, brilliant film. Loved it!'"));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  EXPECT_NE(one.out.find("positive\t0."), std::string::npos) << one.out;

  const std::string input = Dir("main_stdin") + ".txt";
  std::ofstream(input) << "An awful, boring mess.\nSuperb! A masterpiece.\n";
  RunResult lines =
      RunImdb(absl::StrCat("--checkpoint=", checkpoint, " --predict=- < ", input));
  ASSERT_EQ(lines.exit_code, 0) << lines.out;
  const size_t negative = lines.out.find("negative\t");
  const size_t positive = lines.out.find("positive\t");
  ASSERT_NE(negative, std::string::npos) << lines.out;
  ASSERT_NE(positive, std::string::npos) << lines.out;
  EXPECT_LT(negative, positive) << lines.out;
}

TEST(ImdbMainTest, UserErrorsAreOneLine) {
  const std::string missing = Dir("main_missing");
  RunResult r = RunImdb(absl::StrCat("--data_dir=", missing, " --out_dir=", Dir("main_err_run")));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  ASSERT_EQ(ErrorLines(r.out).size(), 1u) << r.out;
  EXPECT_NE(ErrorLines(r.out)[0].find(missing), std::string::npos) << r.out;

  const std::string no_neg = Dir("main_no_neg") + "/aclImdb";
  fs::create_directories(no_neg + "/train/pos");
  r = RunImdb(absl::StrCat("--data_dir=", no_neg));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  ASSERT_EQ(ErrorLines(r.out).size(), 1u) << r.out;
  EXPECT_NE(r.out.find("train/neg"), std::string::npos) << r.out;

  const std::string checkpoint = Dir("main_no_ckpt") + "/best.sfckpt";
  r = RunImdb(absl::StrCat("--checkpoint=", checkpoint, " --predict=hello"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  ASSERT_EQ(ErrorLines(r.out).size(), 1u) << r.out;
  EXPECT_NE(r.out.find(checkpoint), std::string::npos) << r.out;

  r = RunImdb("--backend=magic --data_dir=" + WriteImdbFixture(Dir("main_flag") + "/aclImdb"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("--backend=magic"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sf::tasks::imdb
