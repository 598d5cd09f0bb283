// Runs the fetch_data binary: listing, usage errors, offline errors, and a full fetch of
// tiny-shakespeare from a local server (when ../shared/data holds a copy to serve).
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/test_data.h"
#include "tools/download/testing/http_server.h"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CliResult FetchData(const std::string& args) {
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  const std::string binary = absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                                          std::getenv("TEST_WORKSPACE"),
                                          "/tools/download/fetch_data");
  const std::string err_path = (tmp / "fetch_data.stderr").string();
  const std::string command = absl::StrCat(binary, " ", args, " 2>", err_path);
  CliResult run;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = ReadFile(err_path);
  return run;
}

std::string CacheDir(const std::string& name) {
  return (fs::path(std::getenv("TEST_TMPDIR")) / name).string();
}

TEST(FetchDataTest, ListShowsEveryDataSetWithSourceAndCacheState) {
  const std::string cache = CacheDir("list_cache");
  CliResult run = FetchData("--list --cache_dir=" + cache);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  for (const char* name : {"imdb:", "wikitext-2:", "wikitext-2-raw:", "tinyshakespeare:"}) {
    EXPECT_TRUE(absl::StrContains(run.out, name)) << run.out;
  }
  EXPECT_TRUE(absl::StrContains(
      run.out, "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"))
      << run.out;
  EXPECT_TRUE(absl::StrContains(run.out, "not cached; would be fetched into " + cache +
                                             "/imdb/aclImdb"))
      << run.out;
  EXPECT_FALSE(fs::exists(cache));
}

TEST(FetchDataTest, UsageErrorsExitWithTwo) {
  CliResult none = FetchData("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(none.err, "--dataset=NAME")) << none.err;
  CliResult unknown = FetchData("--dataset=mnist");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(unknown.err, "unknown data set 'mnist'")) << unknown.err;
  EXPECT_TRUE(absl::StrContains(unknown.err, "tinyshakespeare")) << unknown.err;
}

TEST(FetchDataTest, OfflineErrorSaysWhatToDownloadAndWhereToPutIt) {
  const std::string cache = CacheDir("offline_cache");
  CliResult run = FetchData("--dataset=imdb --offline --cache_dir=" + cache);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(absl::StrContains(
      run.err, "download https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"))
      << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "--data_dir=")) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, cache + "/imdb/aclImdb")) << run.err;
  EXPECT_FALSE(fs::exists(cache));
}

TEST(FetchDataTest, FetchesFromALocalMirrorAndPrintsTheFolder) {
  std::optional<std::string> shared = sf::runtime::SharedDataDir("tinyshakespeare");
  if (!shared) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("tinyshakespeare");
  sf::download::testing::LocalHttpServer server;
  ASSERT_TRUE(server.Start().ok());
  const std::string text = ReadFile(fs::path(*shared) / "input.txt");
  server.SetFile("/input.txt", text);
  const std::string cache = CacheDir("mirror_cache");
  CliResult run = FetchData("--dataset=tinyshakespeare --url=" + server.Url("/input.txt") +
                      " --cache_dir=" + cache);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, cache + "/tinyshakespeare\n");
  EXPECT_EQ(ReadFile(fs::path(cache) / "tinyshakespeare/input.txt"), text);
  EXPECT_TRUE(absl::StrContains(run.err, "input.txt: 1.06 MiB / 1.06 MiB (100%)")) << run.err;

  // Cached now: works offline and --list reports it.
  CliResult again = FetchData("--dataset=tinyshakespeare --offline --cache_dir=" + cache);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, run.out);
  CliResult list = FetchData("--list --cache_dir=" + cache);
  EXPECT_TRUE(absl::StrContains(list.out, "cached:  " + cache + "/tinyshakespeare")) << list.out;
  EXPECT_EQ(server.RequestCount("/input.txt"), 1);
}

}  // namespace
