// tools/launch/launch.sh: environment and rank prefixes, stopping the others when one rank
// fails, and the imdb binary trained by two processes end to end on a small fixture.
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tasks/imdb/imdb_fixture.h"
#include "tasks/testing/cli_runner.h"

namespace sf::tools {
namespace {

namespace fs = std::filesystem;

using tasks::testing::CliResult;

// The launcher's tests start processes that sleep for 120 s; a hang fails within the timeout.
CliResult RunCommand(const std::string& command) {
  return tasks::testing::RunShell(command, /*timeout_seconds=*/240);
}

constexpr char kLaunch[] = "tools/launch/launch.sh";

TEST(LaunchTest, SetsTheVariablesAndPrefixesEveryLine) {
  const CliResult r = RunCommand(absl::StrCat(
      kLaunch, " --nproc=3 --master_port=29612 -- sh -c "
      "'echo \"$RANK/$WORLD_SIZE/$LOCAL_RANK $MASTER_ADDR:$MASTER_PORT\"; echo oops >&2'"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  for (int rank = 0; rank < 3; ++rank) {
    EXPECT_TRUE(absl::StrContains(
        r.stdout_text, absl::StrCat("[rank ", rank, "] ", rank, "/3/", rank, " 127.0.0.1:29612\n")))
        << r.stdout_text;
    EXPECT_TRUE(absl::StrContains(r.stdout_text, absl::StrCat("[rank ", rank, "] oops\n"))) << r.stdout_text;
  }
}

TEST(LaunchTest, AFailingRankStopsTheOthersAndSetsTheExitCode) {
  const CliResult r = RunCommand(absl::StrCat(
      kLaunch, " --nproc=2 --grace=2 -- sh -c "
      "'if [ \"$RANK\" = 1 ]; then exit 3; fi; exec sleep 120'"));
  EXPECT_EQ(r.exit_code, 3) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "launch: rank 1 exited with status 3")) << r.stdout_text;
}

TEST(LaunchTest, SigtermToTheLauncherLetsTheRanksFinish) {
  // Each rank takes a second to "checkpoint" after SIGTERM; none may be killed before it ends.
  const std::string dir = ::testing::TempDir() + "/launch_sigterm";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const CliResult r = RunCommand(absl::StrCat(
      kLaunch, " --nproc=2 --grace=30 -- sh -c 'trap \"sleep 1; echo stopped $RANK; exit 0\" TERM; "
      "touch ", dir, "/ready.$RANK; while :; do sleep 0.1; done' & launcher=$!; "
      "while [ ! -e ", dir, "/ready.0 ] || [ ! -e ", dir, "/ready.1 ]; do sleep 0.1; done; "
      "kill -TERM $launcher; wait $launcher; echo \"launcher exit $?\""));
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "[rank 0] stopped 0")) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "[rank 1] stopped 1")) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "launcher exit 0")) << r.stdout_text;
  EXPECT_FALSE(absl::StrContains(r.stdout_text, "unbound variable")) << r.stdout_text;
}

TEST(LaunchTest, BadArgumentsAreOneLine) {
  CliResult r = RunCommand(absl::StrCat(kLaunch, " --nproc=0 -- true"));
  EXPECT_EQ(r.exit_code, 2) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "--nproc must be a positive integer, got '0'")) << r.stdout_text;
  r = RunCommand(kLaunch);
  EXPECT_EQ(r.exit_code, 2) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "usage:")) << r.stdout_text;
}

TEST(LaunchTest, TwoProcessesTrainTheImdbClassifier) {
  const std::string root = ::testing::TempDir() + "/launch_imdb";
  fs::remove_all(root);
  const std::string data =
      tasks::imdb::WriteImdbFixture(root + "/aclImdb", {.reviews_per_class = 40});
  const CliResult r = RunCommand(absl::StrCat(
      kLaunch, " --nproc=2 --master_port=29613 -- tasks/imdb/imdb --threads=1 --data_dir=", data,
      " --out_dir=", root, "/run --d_model=16 --heads=2 --d_ff=32 --max_length=24 "
      "--vocab_size=100 --min_freq=1 --batch_size=8 --epochs=2 --lr=1e-2 --dropout=0 "
      "--embedding_dropout=0 --validation_fraction=0.2 --dist_timeout=60"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "[rank 0] best validation accuracy")) << r.stdout_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "data parallel over 2 processes")) << r.stdout_text;
  // Only rank 0 logs.
  EXPECT_FALSE(absl::StrContains(r.stdout_text, "[rank 1] epoch")) << r.stdout_text;
  EXPECT_TRUE(fs::exists(root + "/run/checkpoints/best.sfckpt"));
  EXPECT_TRUE(fs::exists(root + "/run/metrics.json"));
}

}  // namespace
}  // namespace sf::tools
