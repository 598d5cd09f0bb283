#include "tools/download/dataset_cache.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/download/sha256.h"
#include "tools/download/testing/archive_writer.h"
#include "tools/download/testing/http_server.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;
using ::sf::download::testing::ArchiveEntry;
using ::sf::download::testing::ArchiveFormat;
using ::sf::download::testing::LocalHttpServer;
using ::sf::download::testing::UnusedLocalPort;
using ::sf::download::testing::WriteArchive;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// Every path below `root`, relative, with a trailing '/' for directories.
std::set<std::string> Tree(const fs::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  if (!fs::exists(root, ec)) return out;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    std::string rel = it->path().lexically_relative(root).string();
    out.insert(it->is_directory() ? rel + "/" : rel);
  }
  return out;
}

std::string LargeText() {
  std::string text;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&text, "line ", i * 7 % 1013, "\n");
  return text;
}

class DatasetCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    base_ = fs::path(std::getenv("TEST_TMPDIR")) / info->name();
    fs::remove_all(base_);
    fs::create_directories(base_ / "fixtures");
    root_ = (base_ / "cache").string();
    ASSERT_TRUE(server_.Start().ok());

    const std::vector<ArchiveEntry> entries = {
        ArchiveEntry::Directory("toy/"), ArchiveEntry::File("toy/a.txt", a_),
        ArchiveEntry::File("toy/sub/b.txt", b_), ArchiveEntry::File("toy/c.txt", "gamma\n"),
        ArchiveEntry::File("README", "outside the data set folder\n")};
    ServeArchive("/toy.tar.gz", ArchiveFormat::kTarGz, entries);
    ServeArchive("/toy.zip", ArchiveFormat::kZip, entries);

    options_.cache_root = root_;
    options_.download.initial_backoff = absl::Milliseconds(10);
    options_.download.max_attempts = 2;
    options_.download.progress_stream = &log_;
  }

  void ServeArchive(const std::string& url_path, ArchiveFormat format,
                    const std::vector<ArchiveEntry>& entries) {
    const fs::path path = FixturePath(url_path);
    ASSERT_TRUE(WriteArchive(path.string(), format, entries).ok());
    server_.SetFile(url_path, ReadFile(path));
  }

  // Fixtures keep their extension (the server's URL decides the format) under a unique name.
  fs::path FixturePath(const std::string& url_path) const {
    std::string name = url_path;
    std::replace(name.begin(), name.end(), '/', '_');
    return base_ / "fixtures" / name;
  }

  std::string ServedSha(const std::string& url_path) {
    return Sha256Hex(ReadFile(FixturePath(url_path)));
  }

  int64_t ServedSize(const std::string& url_path) {
    return static_cast<int64_t>(fs::file_size(FixturePath(url_path)));
  }

  DatasetSpec ToySpec(const std::string& url_path, const std::string& name = "toy") {
    DatasetSpec spec;
    spec.name = name;
    spec.description = "a toy data set";
    spec.urls = {server_.Url(url_path)};
    spec.subdir = "toy";
    // c.txt has no known hash: checked for existence only.
    spec.files = {{"a.txt", Sha256Hex(a_)}, {"sub/b.txt", Sha256Hex(b_)}, {"c.txt", ""}};
    spec.dirs = {"sub"};
    return spec;
  }

  // Fetches a first data set so that failure tests can check the cache is left as it was.
  std::set<std::string> PopulatedCache() {
    absl::StatusOr<std::string> ok = EnsureDataset(ToySpec("/toy.zip", "other"), options_);
    EXPECT_TRUE(ok.ok()) << ok.status();
    std::set<std::string> tree = Tree(root_);
    EXPECT_EQ(tree.count("other/toy/a.txt"), 1u);
    return tree;
  }

  const std::string a_ = "alpha\n";
  const std::string b_ = LargeText();
  fs::path base_;
  std::string root_;
  LocalHttpServer server_;
  CacheOptions options_;
  std::ostringstream log_;
};

TEST_F(DatasetCacheTest, FetchesVerifiesAndExtractsTarGz) {
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.archive_sha256 = ServedSha("/toy.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, root_ + "/toy/toy");
  EXPECT_EQ(ReadFile(fs::path(*dir) / "a.txt"), a_);
  EXPECT_EQ(ReadFile(fs::path(*dir) / "sub/b.txt"), b_);
  EXPECT_EQ(Tree(root_),
            (std::set<std::string>{"toy/", "toy/.scratchformer-verified", "toy/README", "toy/toy/",
                                   "toy/toy/a.txt", "toy/toy/c.txt", "toy/toy/sub/",
                                   "toy/toy/sub/b.txt"}));
  const std::string marker = ReadFile(fs::path(root_) / "toy/.scratchformer-verified");
  EXPECT_TRUE(absl::StrContains(marker, "dataset toy\n")) << marker;
  EXPECT_TRUE(absl::StrContains(marker, absl::StrCat("source ", spec.urls[0]))) << marker;
  EXPECT_TRUE(absl::StrContains(marker, absl::StrCat("archive_sha256 ", spec.archive_sha256)));
  EXPECT_TRUE(absl::StrContains(marker, absl::StrCat("file ", Sha256Hex(b_), " ", b_.size(),
                                                     " sub/b.txt\n")))
      << marker;
  EXPECT_TRUE(absl::StrContains(marker, absl::StrCat("file ", Sha256Hex("gamma\n"), " 6 c.txt")));
  EXPECT_TRUE(absl::StrContains(log_.str(), "verified and stored in")) << log_.str();
}

TEST_F(DatasetCacheTest, MirrorServingADifferentFileIsSkipped) {
  ServeArchive("/other/toy.tar.gz", ArchiveFormat::kTarGz, {ArchiveEntry::File("toy/a.txt", a_)});
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.archive_sha256 = ServedSha("/toy.tar.gz");
  spec.urls.insert(spec.urls.begin(), server_.Url("/other/toy.tar.gz"));
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(ReadFile(fs::path(*dir) / "sub/b.txt"), b_);
  EXPECT_EQ(server_.RequestCount("/other/toy.tar.gz"), 1);
}

TEST_F(DatasetCacheTest, FetchesZipAndSecondCallNeedsNoNetwork) {
  absl::StatusOr<std::string> first = EnsureDataset(ToySpec("/toy.zip"), options_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ReadFile(fs::path(*first) / "sub/b.txt"), b_);
  server_.Stop();
  absl::StatusOr<std::string> second = EnsureDataset(ToySpec("/toy.zip"), options_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, *first);
  options_.offline = true;
  absl::StatusOr<std::string> offline = EnsureDataset(ToySpec("/toy.zip"), options_);
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(*offline, *first);
}

TEST_F(DatasetCacheTest, ArchiveChecksumMismatchLeavesTheCacheUnchanged) {
  const std::set<std::string> before = PopulatedCache();
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.archive_sha256 = Sha256Hex("something else");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kDataLoss) << dir.status();
  const std::string message(dir.status().message());
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat("sha256 mismatch for ", spec.urls[0])))
      << message;
  EXPECT_TRUE(absl::StrContains(message, spec.archive_sha256)) << message;
  EXPECT_TRUE(absl::StrContains(message, ServedSha("/toy.tar.gz"))) << message;
  EXPECT_TRUE(absl::StrContains(message, "--data_dir=")) << message;
  EXPECT_EQ(Tree(root_), before);
}

TEST_F(DatasetCacheTest, ExtractedFileMismatchLeavesTheCacheUnchanged) {
  const std::set<std::string> before = PopulatedCache();
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.files[1].sha256 = Sha256Hex("not b");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kDataLoss) << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "fails verification")) << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "sub/b.txt")) << dir.status();
  EXPECT_EQ(Tree(root_), before);
}

TEST_F(DatasetCacheTest, MissingExpectedFileLeavesTheCacheUnchanged) {
  const std::set<std::string> before = PopulatedCache();
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.files.push_back({"d.txt", ""});
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kNotFound) << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "lacks the file d.txt")) << dir.status();
  EXPECT_EQ(Tree(root_), before);
}

TEST_F(DatasetCacheTest, NotFoundNamesUrlAndLeavesTheCacheUnchanged) {
  const std::set<std::string> before = PopulatedCache();
  DatasetSpec spec = ToySpec("/missing.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kNotFound) << dir.status();
  const std::string message(dir.status().message());
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat("HTTP status 404 from ", spec.urls[0])))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "--data_dir=")) << message;
  EXPECT_EQ(server_.RequestCount("/missing.tar.gz"), 1);
  EXPECT_EQ(Tree(root_), before);
}

TEST_F(DatasetCacheTest, RefusedConnectionNamesUrlAndLeavesTheCacheEmpty) {
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.urls = {absl::StrCat("http://127.0.0.1:", UnusedLocalPort(), "/toy.tar.gz")};
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kUnavailable) << dir.status();
  const std::string message(dir.status().message());
  EXPECT_TRUE(absl::StrContains(message, spec.urls[0])) << message;
  EXPECT_TRUE(absl::StrContains(message, "Connection refused")) << message;
  EXPECT_TRUE(absl::StrContains(message, "1. download " + spec.urls[0])) << message;
  EXPECT_TRUE(absl::StrContains(message, "sub/ a.txt sub/b.txt c.txt")) << message;
  EXPECT_TRUE(absl::StrContains(message, "--data_dir=")) << message;
  EXPECT_TRUE(absl::StrContains(message, root_ + "/toy/toy")) << message;
  EXPECT_EQ(Tree(root_), std::set<std::string>{});
}

TEST_F(DatasetCacheTest, FallsBackToTheNextMirror) {
  DatasetSpec spec = ToySpec("/toy.zip");
  spec.urls.insert(spec.urls.begin(), server_.Url("/gone/toy.zip"));
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(server_.RequestCount("/gone/toy.zip"), 1);
  EXPECT_EQ(server_.RequestCount("/toy.zip"), 1);
  EXPECT_TRUE(absl::StrContains(ReadFile(fs::path(root_) / "toy/.scratchformer-verified"),
                                "source " + spec.urls[1]));
}

TEST_F(DatasetCacheTest, ResumesAfterADroppedConnection) {
  const int64_t half = ServedSize("/toy.tar.gz") / 2;
  server_.DropConnectionAfter("/toy.tar.gz", half, 1);
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.archive_sha256 = ServedSha("/toy.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(ReadFile(fs::path(*dir) / "sub/b.txt"), b_);
  ASSERT_EQ(server_.Requests().size(), 2u);
  EXPECT_EQ(server_.Requests()[1].range, absl::StrCat("bytes=", half, "-"));
}

TEST_F(DatasetCacheTest, InterruptedDownloadIsResumedByTheNextRun) {
  const int64_t half = ServedSize("/toy.tar.gz") / 2;
  server_.DropConnectionAfter("/toy.tar.gz", half, 1);
  options_.download.max_attempts = 1;
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  spec.archive_sha256 = ServedSha("/toy.tar.gz");
  absl::StatusOr<std::string> first = EnsureDataset(spec, options_);
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  // Only the received bytes, kept for resuming; no data set folder, nothing staged.
  EXPECT_EQ(Tree(root_), (std::set<std::string>{".downloads/", ".downloads/toy/",
                                                ".downloads/toy/toy.tar.gz.part"}));
  EXPECT_EQ(fs::file_size(fs::path(root_) / ".downloads/toy/toy.tar.gz.part"),
            static_cast<uintmax_t>(half));

  absl::StatusOr<std::string> second = EnsureDataset(spec, options_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server_.Requests().back().range, absl::StrCat("bytes=", half, "-"));
  EXPECT_EQ(ReadFile(fs::path(*second) / "sub/b.txt"), b_);
  EXPECT_FALSE(fs::exists(fs::path(root_) / ".downloads"));
}

TEST_F(DatasetCacheTest, PathTraversalArchiveIsRejectedAndLeavesTheCacheUnchanged) {
  const std::set<std::string> before = PopulatedCache();
  ServeArchive("/evil.tar.gz", ArchiveFormat::kTarGz,
               {ArchiveEntry::File("toy/a.txt", a_), ArchiveEntry::File("../../escaped.txt", "x")});
  absl::StatusOr<std::string> dir = EnsureDataset(ToySpec("/evil.tar.gz"), options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument) << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "'../../escaped.txt' contains '..'"))
      << dir.status();
  EXPECT_EQ(Tree(root_), before);
  EXPECT_FALSE(fs::exists(base_ / "escaped.txt"));
  EXPECT_FALSE(fs::exists(fs::path(root_).parent_path().parent_path() / "escaped.txt"));
}

TEST_F(DatasetCacheTest, OfflineModeNamesUrlAndDataDirWithoutTouchingAnything) {
  options_.offline = true;
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition) << dir.status();
  const std::string message(dir.status().message());
  EXPECT_TRUE(absl::StrContains(message, "offline mode forbids downloading")) << message;
  EXPECT_TRUE(absl::StrContains(message, spec.urls[0])) << message;
  EXPECT_TRUE(absl::StrContains(message, "--data_dir=")) << message;
  EXPECT_TRUE(absl::StrContains(message, "'toy/'")) << message;
  EXPECT_FALSE(fs::exists(root_));
  EXPECT_TRUE(server_.Requests().empty());
}

TEST_F(DatasetCacheTest, PlainFileDataSet) {
  const std::string text = LargeText();
  server_.SetFile("/data/input.txt", text);
  DatasetSpec spec;
  spec.name = "plain";
  spec.description = "one text file";
  spec.urls = {server_.Url("/data/input.txt")};
  spec.files = {{"input.txt", Sha256Hex(text)}};
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, root_ + "/plain");
  EXPECT_EQ(ReadFile(fs::path(*dir) / "input.txt"), text);
  EXPECT_EQ(Tree(root_), (std::set<std::string>{"plain/", "plain/.scratchformer-verified",
                                                "plain/input.txt"}));

  spec.name = "plain_bad";
  spec.files[0].sha256 = Sha256Hex("other text");
  const std::set<std::string> before = Tree(root_);
  absl::StatusOr<std::string> bad = EnsureDataset(spec, options_);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << bad.status();
  EXPECT_EQ(Tree(root_), before);
}

TEST_F(DatasetCacheTest, DamagedCachedCopyIsFetchedAgainUnlessOffline) {
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  WriteFile(fs::path(*dir) / "sub/b.txt", "truncated");

  options_.offline = true;
  absl::StatusOr<std::string> offline = EnsureDataset(spec, options_);
  EXPECT_EQ(offline.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(offline.status().message(), "fails verification"))
      << offline.status();
  EXPECT_TRUE(absl::StrContains(offline.status().message(), "sub/b.txt")) << offline.status();

  options_.offline = false;
  absl::StatusOr<std::string> again = EnsureDataset(spec, options_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReadFile(fs::path(*again) / "sub/b.txt"), b_);
  EXPECT_EQ(server_.RequestCount("/toy.tar.gz"), 2);
  EXPECT_TRUE(absl::StrContains(log_.str(), "fetching it again")) << log_.str();
}

TEST_F(DatasetCacheTest, ReverifyDetectsSameSizeCorruption) {
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  absl::StatusOr<std::string> dir = EnsureDataset(spec, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  WriteFile(fs::path(*dir) / "a.txt", "ALPHA\n");
  // The marker is trusted by default (sizes only): no re-download.
  ASSERT_TRUE(EnsureDataset(spec, options_).ok());
  EXPECT_EQ(server_.RequestCount("/toy.tar.gz"), 1);
  options_.reverify = true;
  absl::StatusOr<std::string> again = EnsureDataset(spec, options_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReadFile(fs::path(*again) / "a.txt"), a_);
  EXPECT_EQ(server_.RequestCount("/toy.tar.gz"), 2);
}

TEST_F(DatasetCacheTest, FolderPlacedInTheCacheByHandIsVerifiedAndAdopted) {
  const fs::path folder = fs::path(root_) / "toy" / "toy";
  WriteFile(folder / "a.txt", a_);
  WriteFile(folder / "sub/b.txt", b_);
  WriteFile(folder / "c.txt", "anything");
  options_.offline = true;
  absl::StatusOr<std::string> dir = EnsureDataset(ToySpec("/toy.tar.gz"), options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, folder.string());
  EXPECT_TRUE(fs::exists(fs::path(root_) / "toy/.scratchformer-verified"));
  EXPECT_TRUE(server_.Requests().empty());
}

TEST_F(DatasetCacheTest, WrongFolderPlacedByHandIsReportedAndKept) {
  const fs::path folder = fs::path(root_) / "toy" / "toy";
  WriteFile(folder / "a.txt", "not alpha");
  const std::set<std::string> before = Tree(root_);
  absl::StatusOr<std::string> dir = EnsureDataset(ToySpec("/toy.tar.gz"), options_);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition) << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "not created by a download"))
      << dir.status();
  EXPECT_TRUE(absl::StrContains(dir.status().message(), "a.txt")) << dir.status();
  EXPECT_EQ(Tree(root_), before);
  EXPECT_TRUE(server_.Requests().empty());
}

TEST_F(DatasetCacheTest, ConcurrentCallsDownloadOnce) {
  DatasetSpec spec = ToySpec("/toy.tar.gz");
  absl::StatusOr<std::string> results[2] = {absl::UnknownError(""), absl::UnknownError("")};
  CacheOptions quiet = options_;
  quiet.download.show_progress = false;
  std::thread t0([&] { results[0] = EnsureDataset(spec, quiet); });
  std::thread t1([&] { results[1] = EnsureDataset(spec, quiet); });
  t0.join();
  t1.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_EQ(*results[0], *results[1]);
  EXPECT_EQ(server_.RequestCount("/toy.tar.gz"), 1);
}

TEST_F(DatasetCacheTest, ResolveDataDirPrefersTheUserFolder) {
  const fs::path user = base_ / "mine" / "toy";
  WriteFile(user / "a.txt", "any");
  fs::create_directories(user / "sub");
  absl::StatusOr<std::string> dir =
      ResolveDataDir(user.string(), ToySpec("/toy.tar.gz"), {"a.txt", "sub"}, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, user.string());
  EXPECT_TRUE(server_.Requests().empty());

  setenv("BUILD_WORKING_DIRECTORY", base_.c_str(), 1);
  absl::StatusOr<std::string> relative =
      ResolveDataDir("mine/toy", ToySpec("/toy.tar.gz"), {"a.txt"}, options_);
  unsetenv("BUILD_WORKING_DIRECTORY");
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_EQ(*relative, user.string());

  absl::StatusOr<std::string> missing =
      ResolveDataDir(user.string(), ToySpec("/toy.tar.gz"), {"a.txt", "sub/b.txt"}, options_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(),
                                absl::StrCat("--data_dir=", user.string())))
      << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "lacks sub/b.txt"))
      << missing.status();

  absl::StatusOr<std::string> nowhere =
      ResolveDataDir((base_ / "nowhere").string(), ToySpec("/toy.tar.gz"), {}, options_);
  EXPECT_EQ(nowhere.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(nowhere.status().message(), "is not a directory"))
      << nowhere.status();
  EXPECT_TRUE(server_.Requests().empty());
}

TEST_F(DatasetCacheTest, ResolveDataDirWithoutFlagUsesTheCache) {
  absl::StatusOr<std::string> dir =
      ResolveDataDir("", ToySpec("/toy.tar.gz"), {"a.txt", "sub"}, options_);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, root_ + "/toy/toy");
  absl::StatusOr<std::string> lacking =
      ResolveDataDir("", ToySpec("/toy.tar.gz"), {"test/pos"}, options_);
  EXPECT_EQ(lacking.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(lacking.status().message(), "lacks test/pos"))
      << lacking.status();
  EXPECT_EQ(server_.RequestCount("/toy.tar.gz"), 1);
}

TEST(ValidateSpecTest, RejectsMalformedSpecsNamingTheField) {
  DatasetSpec good;
  good.name = "ok";
  good.urls = {"https://example.org/x.zip"};
  good.files = {{"a", ""}};
  EXPECT_TRUE(ValidateSpec(good).ok());
  auto message = [](const DatasetSpec& spec) {
    absl::Status s = ValidateSpec(spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    return std::string(s.message());
  };
  DatasetSpec spec = good;
  spec.name = "../x";
  EXPECT_TRUE(absl::StrContains(message(spec), "name")) << message(spec);
  spec = good;
  spec.urls = {"ftp://example.org/x.zip"};
  EXPECT_TRUE(absl::StrContains(message(spec), "ftp://example.org/x.zip"));
  spec = good;
  spec.urls = {"https://example.org/"};
  EXPECT_TRUE(absl::StrContains(message(spec), "file name"));
  spec = good;
  spec.urls.clear();
  EXPECT_TRUE(absl::StrContains(message(spec), "no URL"));
  spec = good;
  spec.archive_sha256 = "ABC";
  EXPECT_TRUE(absl::StrContains(message(spec), "'ABC'"));
  spec = good;
  spec.files = {{"../a", ""}};
  EXPECT_TRUE(absl::StrContains(message(spec), "'../a'"));
  spec = good;
  spec.subdir = "/abs";
  EXPECT_TRUE(absl::StrContains(message(spec), "'/abs'"));
}

TEST(DefaultCacheRootTest, FollowsXdgThenHome) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_xdg = old_xdg != nullptr ? old_xdg : "";
  const std::string saved_home = old_home != nullptr ? old_home : "";

  setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(*DefaultCacheRoot(), "/xdg/cache/scratchformer");
  setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  EXPECT_EQ(*DefaultCacheRoot(), "/home/u/.cache/scratchformer");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(*DefaultCacheRoot(), "/home/u/.cache/scratchformer");
  CacheOptions options;
  options.cache_root = "/elsewhere";
  EXPECT_EQ(*CacheRoot(options), "/elsewhere");
  unsetenv("HOME");
  EXPECT_EQ(DefaultCacheRoot().status().code(), absl::StatusCode::kFailedPrecondition);

  if (old_xdg != nullptr) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (old_home != nullptr) setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace sf::download
