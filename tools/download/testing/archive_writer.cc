#include "tools/download/testing/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sf::download::testing {
namespace {

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

absl::Status Error(archive* a, const std::string& path, const std::string& what) {
  const char* message = archive_error_string(a);
  return absl::InternalError(absl::StrCat("writing ", path, ": ", what, ": ",
                                          message != nullptr ? message : "unknown error"));
}

}  // namespace

ArchiveEntry ArchiveEntry::File(std::string path, std::string contents) {
  ArchiveEntry e;
  e.type = Type::kFile;
  e.path = std::move(path);
  e.contents = std::move(contents);
  return e;
}

ArchiveEntry ArchiveEntry::Directory(std::string path) {
  ArchiveEntry e;
  e.type = Type::kDirectory;
  e.path = std::move(path);
  return e;
}

ArchiveEntry ArchiveEntry::Symlink(std::string path, std::string target) {
  ArchiveEntry e;
  e.type = Type::kSymlink;
  e.path = std::move(path);
  e.target = std::move(target);
  return e;
}

ArchiveEntry ArchiveEntry::Hardlink(std::string path, std::string target) {
  ArchiveEntry e;
  e.type = Type::kHardlink;
  e.path = std::move(path);
  e.target = std::move(target);
  return e;
}

absl::Status WriteArchive(const std::string& path, ArchiveFormat format,
                          const std::vector<ArchiveEntry>& entries) {
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  int rc = format == ArchiveFormat::kZip ? archive_write_set_format_zip(a.get())
                                         : archive_write_set_format_pax_restricted(a.get());
  if (rc != ARCHIVE_OK) return Error(a.get(), path, "format");
  if (format == ArchiveFormat::kTarGz && archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK) {
    return Error(a.get(), path, "gzip filter");
  }
  if (archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) {
    return Error(a.get(), path, "open");
  }
  for (const ArchiveEntry& e : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    switch (e.type) {
      case ArchiveEntry::Type::kFile:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.contents.size()));
        break;
      case ArchiveEntry::Type::kDirectory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), 0755);
        break;
      case ArchiveEntry::Type::kSymlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink(entry.get(), e.target.c_str());
        break;
      case ArchiveEntry::Type::kHardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_hardlink(entry.get(), e.target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
    }
    if (archive_write_header(a.get(), entry.get()) < ARCHIVE_WARN) {
      return Error(a.get(), path, absl::StrCat("header of ", e.path));
    }
    if (e.type == ArchiveEntry::Type::kFile && !e.contents.empty() &&
        archive_write_data(a.get(), e.contents.data(), e.contents.size()) < 0) {
      return Error(a.get(), path, absl::StrCat("data of ", e.path));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return Error(a.get(), path, "close");
  return absl::OkStatus();
}

}  // namespace sf::download::testing
