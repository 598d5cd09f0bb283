// The `wiki` binary end to end on a small text file: where a training run writes its outputs.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tasks/testing/cli_runner.h"

namespace sf::tasks::wiki {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  fs::remove_all(dir);
  return dir;
}

// A character-level corpus of a few hundred bytes.
std::string WriteText(const std::string& name) {
  const std::string path = Dir(name) + ".txt";
  std::ofstream out(path);
  for (int i = 0; i < 20; ++i) out << "the cat sat on the mat and the dog sat on the log.\n";
  return path;
}

CliResult RunWiki(const std::string& args) {
  return testing::RunShell(
      absl::StrCat("tasks/wiki/wiki --threads=1 --corpus=text --context=8 --d_model=16 "
                   "--heads=2 --layers=1 --d_ff=32 --batch_size=8 --epochs=1 --warmup_steps=0 "
                   "--samples=1 --max_new_tokens=4 ",
                   args),
      /*timeout_seconds=*/240);
}

TEST(WikiMainTest, WritesItsOutputsInOutDir) {
  const std::string text = WriteText("out_dir_text");
  const std::string out_dir = Dir("out_dir_run");
  const CliResult r = RunWiki(absl::StrCat("--text_file=", text, " --out_dir=", out_dir));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  for (const char* file : {"checkpoints/best.sfckpt", "perplexity.csv", "perplexity.svg",
                           "samples.txt", "metrics.jsonl"}) {
    EXPECT_TRUE(fs::exists(fs::path(out_dir) / file)) << file << "\n" << r.stdout_text;
  }
}

TEST(WikiMainTest, RunDirTakesThePlaceOfOutDir) {
  const std::string text = WriteText("run_dir_text");
  const std::string out_dir = Dir("run_dir_unused");
  const std::string run_dir = Dir("run_dir_run");
  const CliResult r =
      RunWiki(absl::StrCat("--text_file=", text, " --out_dir=", out_dir, " --run_dir=", run_dir));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  EXPECT_TRUE(fs::exists(fs::path(run_dir) / "checkpoints/best.sfckpt")) << r.stdout_text;
  EXPECT_FALSE(fs::exists(out_dir));
}

// The samples after training take their prompts from the validation text, which may be shorter
// than a prompt: 30 newlines leave 3 characters for validation.
TEST(WikiMainTest, SamplesFromAValidationTextShorterThanAPrompt) {
  const std::string path = Dir("newlines") + ".txt";
  std::ofstream(path) << std::string(30, '\n');
  const std::string out_dir = Dir("newlines_run");
  const CliResult r = RunWiki(absl::StrCat("--text_file=", path, " --out_dir=", out_dir,
                                           " --context=2 --samples=2"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("--- sample 2"), std::string::npos) << r.stdout_text;
}

TEST(WikiMainTest, EmptyOutDirIsAnError) {
  const CliResult r = RunWiki(absl::StrCat("--text_file=", WriteText("empty_text"), " --out_dir="));
  EXPECT_NE(r.exit_code, 0);
  const std::string& output = r.stdout_text;  // RunShell sends standard error there too
  EXPECT_NE(output.find("error: --out_dir must not be empty"), std::string::npos) << output;
}

}  // namespace
}  // namespace sf::tasks::wiki
