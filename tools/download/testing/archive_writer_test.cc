#include "tools/download/testing/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdlib>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace sf::download::testing {
namespace {

struct ReadEntry {
  int type = 0;
  std::string contents;
  std::string link;
};

// Reads an archive back with libarchive: path -> entry.
std::map<std::string, ReadEntry> ReadBack(const std::string& path) {
  std::map<std::string, ReadEntry> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 10240), ARCHIVE_OK)
      << archive_error_string(a);
  archive_entry* entry;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    ReadEntry e;
    e.type = archive_entry_filetype(entry);
    if (archive_entry_symlink(entry) != nullptr) e.link = archive_entry_symlink(entry);
    if (archive_entry_hardlink(entry) != nullptr) e.link = archive_entry_hardlink(entry);
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buffer, sizeof(buffer))) > 0) e.contents.append(buffer, n);
    out[archive_entry_pathname(entry)] = e;
  }
  archive_read_free(a);
  return out;
}

class ArchiveWriterTest : public ::testing::TestWithParam<ArchiveFormat> {};

TEST_P(ArchiveWriterTest, RoundTripsEntriesIncludingHostileOnes) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/fixture" +
                           std::to_string(static_cast<int>(GetParam()));
  ASSERT_TRUE(WriteArchive(path, GetParam(),
                           {ArchiveEntry::Directory("d/"), ArchiveEntry::File("d/a.txt", "alpha"),
                            ArchiveEntry::File("d/empty", ""),
                            ArchiveEntry::Symlink("d/link", "../../outside"),
                            ArchiveEntry::File("../evil.txt", "x")})
                  .ok());
  std::map<std::string, ReadEntry> entries = ReadBack(path);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries["d/"].type, AE_IFDIR);
  EXPECT_EQ(entries["d/a.txt"].type, AE_IFREG);
  EXPECT_EQ(entries["d/a.txt"].contents, "alpha");
  EXPECT_EQ(entries["d/empty"].contents, "");
  EXPECT_EQ(entries["d/link"].type, AE_IFLNK);
  EXPECT_EQ(entries["d/link"].link, "../../outside");
  EXPECT_EQ(entries["../evil.txt"].contents, "x");
}

INSTANTIATE_TEST_SUITE_P(Formats, ArchiveWriterTest,
                         ::testing::Values(ArchiveFormat::kTarGz, ArchiveFormat::kTar,
                                           ArchiveFormat::kZip));

TEST(ArchiveWriterTarTest, HardlinkAndAbsolutePath) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/links.tar";
  ASSERT_TRUE(WriteArchive(path, ArchiveFormat::kTar,
                           {ArchiveEntry::File("a", "data"), ArchiveEntry::Hardlink("b", "a"),
                            ArchiveEntry::File("/abs/path", "y")})
                  .ok());
  std::map<std::string, ReadEntry> entries = ReadBack(path);
  EXPECT_EQ(entries["b"].link, "a");
  EXPECT_EQ(entries["/abs/path"].contents, "y");
}

TEST(ArchiveWriterTarTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(WriteArchive("/nonexistent_dir/x.tar", ArchiveFormat::kTar, {}).ok());
}

}  // namespace
}  // namespace sf::download::testing
