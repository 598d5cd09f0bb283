// Writes .tar.gz, .tar and .zip fixtures for extraction tests with libarchive, including the
// hostile entries a safe extractor must refuse (absolute paths, `..`, escaping symlinks):
//
//   using sf::download::testing::ArchiveEntry;
//   ASSERT_TRUE(sf::download::testing::WriteArchive(path, ArchiveFormat::kTarGz, {
//       ArchiveEntry::Directory("data"),
//       ArchiveEntry::File("data/a.txt", "hello"),
//       ArchiveEntry::Symlink("data/evil", "../../etc"),
//   }).ok());
//
// Entry paths are stored exactly as given.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_ARCHIVE_WRITER_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_ARCHIVE_WRITER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sf::download::testing {

struct ArchiveEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink };

  static ArchiveEntry File(std::string path, std::string contents);
  static ArchiveEntry Directory(std::string path);
  static ArchiveEntry Symlink(std::string path, std::string target);
  // Tar only: zip has no hard links.
  static ArchiveEntry Hardlink(std::string path, std::string target);

  Type type = Type::kFile;
  std::string path;
  std::string contents;  // kFile
  std::string target;    // kSymlink, kHardlink
};

enum class ArchiveFormat { kTarGz, kTar, kZip };

// Writes `entries` in order to a new archive at `path`.
absl::Status WriteArchive(const std::string& path, ArchiveFormat format,
                          const std::vector<ArchiveEntry>& entries);

}  // namespace sf::download::testing

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_TESTING_ARCHIVE_WRITER_H_
