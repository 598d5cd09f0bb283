#include "tools/download/extract.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tools/download/testing/archive_writer.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;
using ::sf::download::testing::ArchiveEntry;
using ::sf::download::testing::ArchiveFormat;
using ::sf::download::testing::WriteArchive;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    base_ = fs::path(std::getenv("TEST_TMPDIR")) / name;
    fs::remove_all(base_);
    // `out/` holds the destination; archives and anything an attack might write live outside.
    fs::create_directories(base_ / "out");
  }

  std::string Archive(const std::string& name, ArchiveFormat format,
                      const std::vector<ArchiveEntry>& entries) {
    const std::string path = (base_ / name).string();
    EXPECT_TRUE(WriteArchive(path, format, entries).ok());
    return path;
  }

  std::string Dest() const { return (base_ / "out" / "data").string(); }

  // The destination parent holds nothing: no partial tree, no temporary directory.
  void ExpectNothingExtracted() const {
    EXPECT_TRUE(fs::is_empty(base_ / "out"));
    for (const fs::directory_entry& e : fs::directory_iterator(base_)) {
      EXPECT_TRUE(e.path().filename() == "out" || e.path().extension() == ".tgz" ||
                  e.path().extension() == ".tar" || e.path().extension() == ".zip")
          << "unexpected " << e.path();
    }
  }

  fs::path base_;
};

class ExtractFormatTest : public ExtractTest,
                          public ::testing::WithParamInterface<ArchiveFormat> {};

TEST_P(ExtractFormatTest, ExtractsFilesDirectoriesAndInnerLinks) {
  std::string big(300000, 'q');
  const std::string archive =
      Archive("fixture.tgz", GetParam(),
              {ArchiveEntry::Directory("top/"), ArchiveEntry::File("top/a.txt", "alpha\n"),
               ArchiveEntry::File("top/sub/deeper/b.bin", big),  // parents without entries
               ArchiveEntry::File("./top/empty", ""),
               ArchiveEntry::Symlink("top/sub/link", "../a.txt")});
  absl::StatusOr<ExtractStats> stats = ExtractArchive(archive, Dest());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(fs::path(Dest()) / "top/a.txt"), "alpha\n");
  EXPECT_EQ(ReadFile(fs::path(Dest()) / "top/sub/deeper/b.bin"), big);
  EXPECT_TRUE(fs::is_regular_file(fs::path(Dest()) / "top/empty"));
  EXPECT_EQ(fs::read_symlink(fs::path(Dest()) / "top/sub/link"), "../a.txt");
  EXPECT_EQ(ReadFile(fs::path(Dest()) / "top/sub/link"), "alpha\n");
  EXPECT_EQ(stats->files, 3);
  EXPECT_EQ(stats->directories, 1);
  EXPECT_EQ(stats->links, 1);
  EXPECT_EQ(stats->bytes, static_cast<int64_t>(big.size() + 6));
  // Only the destination: the temporary sibling was renamed, not copied.
  std::vector<fs::path> children;
  for (const fs::directory_entry& e : fs::directory_iterator(base_ / "out")) {
    children.push_back(e.path().filename());
  }
  EXPECT_EQ(children, std::vector<fs::path>{"data"});
}

INSTANTIATE_TEST_SUITE_P(Formats, ExtractFormatTest,
                         ::testing::Values(ArchiveFormat::kTarGz, ArchiveFormat::kTar,
                                           ArchiveFormat::kZip));

struct Hostile {
  const char* name;
  ArchiveFormat format;
  std::vector<ArchiveEntry> entries;
  const char* expected_text;  // a part of the error message
};

class HostileArchiveTest : public ExtractTest, public ::testing::WithParamInterface<Hostile> {};

TEST_P(HostileArchiveTest, IsRefusedAndLeavesNothing) {
  const std::string archive = Archive(std::string("hostile.") + (GetParam().format ==
                                                                         ArchiveFormat::kZip
                                                                     ? "zip"
                                                                     : "tar"),
                                      GetParam().format, GetParam().entries);
  absl::StatusOr<ExtractStats> stats = ExtractArchive(archive, Dest());
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(absl::StrContains(stats.status().message(), archive)) << stats.status();
  EXPECT_TRUE(absl::StrContains(stats.status().message(), GetParam().expected_text))
      << stats.status();
  ExpectNothingExtracted();
  EXPECT_FALSE(fs::exists(base_ / "evil.txt"));
  EXPECT_FALSE(fs::exists("/tmp/sf_extract_test_evil.txt"));
}

INSTANTIATE_TEST_SUITE_P(
    Entries, HostileArchiveTest,
    ::testing::Values(
        Hostile{"DotDotTar", ArchiveFormat::kTar,
                {ArchiveEntry::File("ok.txt", "x"), ArchiveEntry::File("../../evil.txt", "x")},
                "'../../evil.txt' contains '..'"},
        Hostile{"DotDotZip", ArchiveFormat::kZip,
                {ArchiveEntry::File("ok.txt", "x"), ArchiveEntry::File("../../evil.txt", "x")},
                "contains '..'"},
        Hostile{"InnerDotDot", ArchiveFormat::kTar,
                {ArchiveEntry::File("a/b/../../../evil.txt", "x")}, "contains '..'"},
        Hostile{"AbsolutePath", ArchiveFormat::kTar,
                {ArchiveEntry::File("/tmp/sf_extract_test_evil.txt", "x")}, "absolute path"},
        Hostile{"AbsolutePathZip", ArchiveFormat::kZip,
                {ArchiveEntry::File("/tmp/sf_extract_test_evil.txt", "x")}, "absolute path"},
        Hostile{"EscapingSymlink", ArchiveFormat::kTar,
                {ArchiveEntry::Symlink("d/link", "../../evil.txt")},
                "points outside the destination"},
        Hostile{"EscapingSymlinkZip", ArchiveFormat::kZip,
                {ArchiveEntry::Symlink("link", "..")}, "points outside the destination"},
        Hostile{"AbsoluteSymlink", ArchiveFormat::kTar,
                {ArchiveEntry::Symlink("passwd", "/etc/passwd")}, "absolute target"},
        Hostile{"SymlinkThroughSymlink", ArchiveFormat::kTar,
                {ArchiveEntry::Symlink("d/b", ".."), ArchiveEntry::Symlink("a", "d/b/..")},
                "'a' does not resolve inside the destination"},
        Hostile{"WriteThroughSymlink", ArchiveFormat::kTar,
                {ArchiveEntry::Directory("sub/"), ArchiveEntry::Symlink("l", "sub"),
                 ArchiveEntry::File("l/file.txt", "x")},
                "cannot extract 'l/file.txt'"},
        Hostile{"EscapingHardlink", ArchiveFormat::kTar,
                {ArchiveEntry::Hardlink("h", "../evil.txt")}, "unsafe hard link 'h'"}),
    [](const ::testing::TestParamInfo<Hostile>& info) { return info.param.name; });

TEST_F(ExtractTest, InnerHardlinkIsExtracted) {
  const std::string archive =
      Archive("links.tar", ArchiveFormat::kTar,
              {ArchiveEntry::File("a.txt", "shared"), ArchiveEntry::Hardlink("b.txt", "a.txt")});
  absl::StatusOr<ExtractStats> stats = ExtractArchive(archive, Dest());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(fs::path(Dest()) / "b.txt"), "shared");
  EXPECT_EQ(fs::hard_link_count(fs::path(Dest()) / "a.txt"), 2u);
}

TEST_F(ExtractTest, TruncatedArchiveIsDataLossAndLeavesNothing) {
  std::string noise;
  for (int i = 0; i < 200000; ++i) noise.push_back(static_cast<char>((i * 2654435761u) >> 24));
  const std::string archive = Archive("full.tgz", ArchiveFormat::kTarGz,
                                      {ArchiveEntry::File("x.bin", noise)});
  const std::string bytes = ReadFile(archive);
  const std::string truncated = (base_ / "cut.tgz").string();
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  absl::StatusOr<ExtractStats> stats = ExtractArchive(truncated, Dest());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kDataLoss) << stats.status();
  EXPECT_TRUE(absl::StrContains(stats.status().message(), truncated)) << stats.status();
  ExpectNothingExtracted();
}

TEST_F(ExtractTest, NotAnArchiveIsAnErrorNamingIt) {
  const std::string path = (base_ / "plain.zip").string();
  std::ofstream(path) << "this is not an archive\n";
  absl::StatusOr<ExtractStats> stats = ExtractArchive(path, Dest());
  EXPECT_FALSE(stats.ok());
  EXPECT_TRUE(absl::StrContains(stats.status().message(), path)) << stats.status();
  ExpectNothingExtracted();
}

TEST_F(ExtractTest, MissingArchiveAndExistingDestination) {
  const std::string missing = (base_ / "missing.tgz").string();
  EXPECT_EQ(ExtractArchive(missing, Dest()).status().code(), absl::StatusCode::kNotFound);
  const std::string archive =
      Archive("ok.tar", ArchiveFormat::kTar, {ArchiveEntry::File("f", "x")});
  fs::create_directories(Dest());
  absl::StatusOr<ExtractStats> stats = ExtractArchive(archive, Dest());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(stats.status().message(), "already exists")) << stats.status();
}

TEST(ExtractNamesTest, IsArchiveName) {
  EXPECT_TRUE(IsArchiveName("aclImdb_v1.tar.gz"));
  EXPECT_TRUE(IsArchiveName("x.TGZ"));
  EXPECT_TRUE(IsArchiveName("x.tar"));
  EXPECT_TRUE(IsArchiveName("wikitext-2-v1.zip"));
  EXPECT_FALSE(IsArchiveName("input.txt"));
  EXPECT_FALSE(IsArchiveName("x.gz"));
}

TEST(ExtractPathsTest, CheckEntryPath) {
  EXPECT_TRUE(CheckEntryPath("a/b.txt").ok());
  EXPECT_TRUE(CheckEntryPath("./a//b").ok());
  EXPECT_TRUE(CheckEntryPath("a..b/c..").ok());
  EXPECT_FALSE(CheckEntryPath("").ok());
  EXPECT_FALSE(CheckEntryPath("/etc/passwd").ok());
  EXPECT_FALSE(CheckEntryPath("..").ok());
  EXPECT_FALSE(CheckEntryPath("a/../../b").ok());
}

TEST(ExtractPathsTest, CheckSymlinkTarget) {
  EXPECT_TRUE(CheckSymlinkTarget("a/b/link", "../c").ok());
  EXPECT_TRUE(CheckSymlinkTarget("a/link", "..").ok());
  EXPECT_TRUE(CheckSymlinkTarget("link", "./x/./y").ok());
  EXPECT_FALSE(CheckSymlinkTarget("link", "..").ok());
  EXPECT_FALSE(CheckSymlinkTarget("a/link", "../..").ok());
  EXPECT_FALSE(CheckSymlinkTarget("a/link", "b/../../../c").ok());
  EXPECT_FALSE(CheckSymlinkTarget("link", "/abs").ok());
  EXPECT_FALSE(CheckSymlinkTarget("link", "").ok());
  absl::Status s = CheckSymlinkTarget("d/l", "../../x");
  EXPECT_TRUE(absl::StrContains(s.message(), "'d/l' -> '../../x'")) << s;
}

}  // namespace
}  // namespace sf::download
