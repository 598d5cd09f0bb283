#include "tools/download/datasets.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "runtime/test_data.h"
#include "tools/download/extract.h"
#include "tools/download/sha256.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;

// Where each data set's folder lives in ../shared/data.
const std::map<std::string, std::string>& SharedFolders() {
  static const auto* folders = new std::map<std::string, std::string>{
      {"imdb", "aclImdb"},
      {"wikitext-2", "wikitext-2"},
      {"wikitext-2-raw", "wikitext-2-raw"},
      {"tinyshakespeare", "tinyshakespeare"}};
  return *folders;
}

TEST(DatasetsTest, SpecsAreValidUniqueAndHttps) {
  std::set<std::string> names;
  for (const DatasetSpec& spec : KnownDatasets()) {
    EXPECT_TRUE(ValidateSpec(spec).ok()) << ValidateSpec(spec);
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    for (const std::string& url : spec.urls) {
      EXPECT_TRUE(absl::StartsWith(url, "https://")) << url;
    }
    EXPECT_EQ(SharedFolders().count(spec.name), 1u) << spec.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"imdb", "wikitext-2", "wikitext-2-raw",
                                          "tinyshakespeare"}));
}

TEST(DatasetsTest, OfficialSourcesAndLayouts) {
  EXPECT_EQ(ImdbSpec().urls.front(),
            "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz");
  EXPECT_EQ(ImdbSpec().archive_sha256,
            "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe");
  EXPECT_EQ(ImdbSpec().subdir, "aclImdb");
  EXPECT_EQ(DescribeLayout(ImdbSpec()),
            "train/pos/ train/neg/ test/pos/ test/neg/ imdb.vocab README");
  EXPECT_EQ(WikiText2Spec().urls.front(),
            "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip");
  EXPECT_EQ(WikiText2RawSpec().urls.front(),
            "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-raw-v1.zip");
  EXPECT_TRUE(IsArchiveName(WikiText2Spec().urls.back()));
  EXPECT_FALSE(IsArchiveName(TinyShakespeareSpec().urls.front()));
  EXPECT_EQ(TinyShakespeareSpec().subdir, "");
  EXPECT_EQ(DescribeLayout(TinyShakespeareSpec()), "input.txt");
}

TEST(DatasetsTest, FindDataset) {
  absl::StatusOr<DatasetSpec> imdb = FindDataset("imdb");
  ASSERT_TRUE(imdb.ok());
  EXPECT_EQ(imdb->subdir, "aclImdb");
  absl::StatusOr<DatasetSpec> unknown = FindDataset("mnist");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "'mnist'")) << unknown.status();
  EXPECT_TRUE(absl::StrContains(unknown.status().message(),
                                "imdb, wikitext-2, wikitext-2-raw, tinyshakespeare"))
      << unknown.status();
}

TEST(DatasetsTest, ManualInstallHintForImdb) {
  const std::string hint = ManualInstallHint(ImdbSpec(), "/home/u/.cache/scratchformer");
  EXPECT_TRUE(absl::StrContains(hint, "1. download " + ImdbSpec().urls.front())) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "(sha256 " + ImdbSpec().archive_sha256 + ")")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "'aclImdb/'")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "--data_dir=<that folder>")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "/home/u/.cache/scratchformer/imdb/aclImdb")) << hint;
  const std::string wiki = ManualInstallHint(WikiText2Spec(), "/c");
  EXPECT_TRUE(absl::StrContains(wiki, "or the mirror https://wikitext.smerity.com/")) << wiki;
}

// The recorded hashes must match the real files wherever ../shared/data has them, and the
// shared folders must be accepted as --data_dir.
TEST(DatasetsTest, KnownHashesMatchTheSharedCopies) {
  int checked = 0;
  for (const DatasetSpec& spec : KnownDatasets()) {
    const std::string folder = SharedFolders().at(spec.name);
    std::optional<std::string> dir = sf::runtime::SharedDataDir(folder);
    if (!dir) continue;
    std::vector<std::string> present;
    for (const ExpectedFile& file : spec.files) {
      const fs::path path = fs::path(*dir) / file.path;
      if (!fs::exists(path)) continue;  // the shared copies lack the test splits
      present.push_back(file.path);
      if (file.sha256.empty()) continue;
      absl::StatusOr<std::string> sha = Sha256OfFile(path.string());
      ASSERT_TRUE(sha.ok()) << sha.status();
      EXPECT_EQ(*sha, file.sha256) << path;
      ++checked;
    }
    absl::StatusOr<std::string> resolved = ResolveDataDir(*dir, spec, present);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
  }
  if (checked == 0) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("");
  EXPECT_EQ(checked, 7);
}

TEST(DatasetsTest, SharedImdbCopyHasTheTrainLayout) {
  std::optional<std::string> dir = sf::runtime::SharedDataDir("aclImdb");
  if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("aclImdb");
  absl::StatusOr<std::string> resolved =
      ResolveDataDir(*dir, ImdbSpec(), {"train/pos", "train/neg", "imdb.vocab"});
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  absl::StatusOr<std::string> with_test = ResolveDataDir(*dir, ImdbSpec(), {"test/pos"});
  EXPECT_EQ(with_test.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(with_test.status().message(), "lacks test/pos"))
      << with_test.status();
}

}  // namespace
}  // namespace sf::download
