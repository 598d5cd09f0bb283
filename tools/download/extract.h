// Safe extraction of .tar.gz / .tgz / .tar / .zip archives with libarchive.
//
//   absl::StatusOr<sf::download::ExtractStats> stats =
//       sf::download::ExtractArchive("/cache/.downloads/aclImdb_v1.tar.gz", "/cache/.staging/x");
//
// Safety: an archive from the network is untrusted. Entries with absolute paths or `..`
// components are refused, as are symbolic links whose target is absolute or leads outside the
// destination, hard links to paths outside it, and device files, FIFOs and sockets. libarchive's
// own checks (ARCHIVE_EXTRACT_SECURE_*) additionally refuse to write through a symbolic link
// extracted earlier. Owners and permissions from the archive are not applied beyond the umask.
//
// Atomicity: the archive is unpacked into a temporary sibling of `dest_dir` that is renamed to
// `dest_dir` only when every entry was written and checked, so `dest_dir` never holds a partial
// tree, and a failure leaves nothing behind.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_EXTRACT_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_EXTRACT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::download {

struct ExtractStats {
  int64_t files = 0;
  int64_t directories = 0;
  int64_t links = 0;  // symbolic and hard
  int64_t bytes = 0;  // file contents written
};

// Extracts `archive_path` into `dest_dir`, which must not exist yet (its parent must).
// InvalidArgument names the archive and the offending entry for unsafe entries; DataLoss names
// the archive when it is corrupt or truncated.
absl::StatusOr<ExtractStats> ExtractArchive(const std::string& archive_path,
                                            const std::string& dest_dir);

// True for the names ExtractArchive is meant for: *.tar.gz, *.tgz, *.tar, *.zip
// (case-insensitive). Other downloads are used as plain files.
bool IsArchiveName(absl::string_view file_name);

// OK when `entry_path` is a relative path without `..` components (a leading "./" and empty
// components are fine); InvalidArgument naming it otherwise.
absl::Status CheckEntryPath(absl::string_view entry_path);

// OK when a symbolic link at relative `link_path` pointing at `target` resolves, lexically, to a
// path inside the extraction root; InvalidArgument naming both otherwise.
absl::Status CheckSymlinkTarget(absl::string_view link_path, absl::string_view target);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_EXTRACT_H_
