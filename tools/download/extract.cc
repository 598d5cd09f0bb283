#include "tools/download/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/download/temp_dir.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;

struct ReaderDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

std::string ArchiveError(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "unknown libarchive error";
}

// The path components of a relative archive path, without "." and empty ones.
std::vector<absl::string_view> Components(absl::string_view path) {
  std::vector<absl::string_view> out;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!part.empty() && part != ".") out.push_back(part);
  }
  return out;
}

bool IsInside(const fs::path& path, const fs::path& root) {
  auto mismatch = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return mismatch.first == root.end();
}

// Every symbolic link in the extracted tree must resolve inside it. The lexical check on each
// entry cannot see links that point through other links ("a -> d/b/.." with "d/b -> .."); the
// file system's own resolution can.
absl::Status CheckExtractedLinks(const std::string& archive_path, const fs::path& root) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_symlink(ec)) continue;
    fs::path resolved = fs::weakly_canonical(it->path(), ec);
    if (ec || !IsInside(resolved, root)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unsafe symbolic link in ", archive_path, ": '",
          it->path().lexically_relative(root).string(), "' does not resolve inside the destination"));
    }
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot check the files extracted from ", archive_path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsArchiveName(absl::string_view file_name) {
  const std::string lower = absl::AsciiStrToLower(file_name);
  return absl::EndsWith(lower, ".tar.gz") || absl::EndsWith(lower, ".tgz") ||
         absl::EndsWith(lower, ".tar") || absl::EndsWith(lower, ".zip");
}

absl::Status CheckEntryPath(absl::string_view entry_path) {
  if (entry_path.empty()) return absl::InvalidArgumentError("empty entry path");
  if (entry_path[0] == '/') {
    return absl::InvalidArgumentError(absl::StrCat("'", entry_path, "' is an absolute path"));
  }
  for (absl::string_view part : absl::StrSplit(entry_path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("'", entry_path, "' contains '..'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSymlinkTarget(absl::string_view link_path, absl::string_view target) {
  auto escape = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("symbolic link '", link_path, "' -> '", target, "' ", why));
  };
  if (target.empty()) return escape("has an empty target");
  if (target[0] == '/') return escape("has an absolute target");
  std::vector<absl::string_view> resolved = Components(link_path);
  if (!resolved.empty()) resolved.pop_back();  // the link's own name
  for (absl::string_view part : Components(target)) {
    if (part == "..") {
      if (resolved.empty()) return escape("points outside the destination");
      resolved.pop_back();
    } else {
      resolved.push_back(part);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExtractStats> ExtractArchive(const std::string& archive_path,
                                            const std::string& dest_dir) {
  struct stat st;
  if (stat(archive_path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read archive ", archive_path, ": ",
                                            std::strerror(errno)));
  }
  if (lstat(dest_dir.c_str(), &st) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot extract ", archive_path, ": destination ", dest_dir, " already exists"));
  }
  const fs::path dest = fs::path(dest_dir).lexically_normal();
  const fs::path parent = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  absl::StatusOr<TempDir> staging =
      TempDir::Create(parent.string(), absl::StrCat(".", dest.filename().string(), ".extract-"));
  if (!staging.ok()) return staging.status();
  // The canonical form has no symbolic links, which libarchive's SECURE_SYMLINKS check would
  // refuse to write through (a cache under a symlinked ~/.cache is common).
  std::error_code ec;
  const fs::path root = fs::canonical(staging->path(), ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot resolve ", staging->path(), ": ", ec.message()));
  }

  std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_bzip2(reader.get());
  archive_read_support_filter_xz(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_zip(reader.get());
  if (archive_read_open_filename(reader.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return absl::DataLossError(absl::StrCat("cannot open archive ", archive_path, ": ",
                                            ArchiveError(reader.get())));
  }
  std::unique_ptr<archive, WriterDeleter> writer(archive_write_disk_new());
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  ExtractStats stats;
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return absl::DataLossError(absl::StrCat("corrupt archive ", archive_path, ": ",
                                              ArchiveError(reader.get())));
    }
    const char* raw_path = archive_entry_pathname(entry);
    if (raw_path == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("archive ", archive_path, " has an entry without a readable name"));
    }
    const std::string path = raw_path;
    if (absl::Status s = CheckEntryPath(path); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsafe entry in ", archive_path, ": ", s.message()));
    }
    if (Components(path).empty()) continue;  // "./": the destination itself

    const char* hardlink = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);
    if (hardlink != nullptr) {
      if (absl::Status s = CheckEntryPath(hardlink); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("unsafe hard link '", path, "' in ",
                                                       archive_path, ": ", s.message()));
      }
      archive_entry_set_hardlink(entry, (root / hardlink).c_str());
      ++stats.links;
    } else if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (absl::Status s = CheckSymlinkTarget(path, target != nullptr ? target : ""); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unsafe entry in ", archive_path, ": ", s.message()));
      }
      ++stats.links;
    } else if (type == AE_IFREG) {
      // Owner read/write always, so that the tree can be read and later deleted.
      archive_entry_set_perm(entry, (archive_entry_perm(entry) & 0755) | 0600);
      ++stats.files;
    } else if (type == AE_IFDIR) {
      archive_entry_set_perm(entry, (archive_entry_perm(entry) & 0755) | 0700);
      ++stats.directories;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported entry type in ", archive_path, ": '", path,
                       "' is not a file, directory or link"));
    }
    archive_entry_set_pathname(entry, (root / path).c_str());

    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot extract '", path, "' from ", archive_path, ": ", ArchiveError(writer.get())));
    }
    // Zip entries may not announce their size up front: read data until EOF for every entry.
    const void* block;
    size_t size;
    la_int64_t offset;
    int data_rc;
    while ((data_rc = archive_read_data_block(reader.get(), &block, &size, &offset)) ==
           ARCHIVE_OK) {
      if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) {
        return absl::FailedPreconditionError(absl::StrCat("cannot write '", path, "' from ",
                                                          archive_path, ": ",
                                                          ArchiveError(writer.get())));
      }
      stats.bytes += static_cast<int64_t>(size);
    }
    if (data_rc != ARCHIVE_EOF) {
      return absl::DataLossError(absl::StrCat("corrupt archive ", archive_path, " at '", path,
                                              "': ", ArchiveError(reader.get())));
    }
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot finish '", path, "' from ", archive_path, ": ", ArchiveError(writer.get())));
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    return absl::FailedPreconditionError(absl::StrCat("cannot finish extracting ", archive_path,
                                                      ": ", ArchiveError(writer.get())));
  }
  if (absl::Status s = CheckExtractedLinks(archive_path, root); !s.ok()) return s;
  if (std::rename(staging->path().c_str(), dest_dir.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot move extracted ", archive_path,
                                                      " to ", dest_dir, ": ",
                                                      std::strerror(errno)));
  }
  staging->Release();
  return stats;
}

}  // namespace sf::download
