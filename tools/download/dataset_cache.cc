#include "tools/download/dataset_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/paths.h"
#include "tools/download/extract.h"
#include "tools/download/sha256.h"
#include "tools/download/temp_dir.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;

constexpr char kMarkerName[] = ".scratchformer-verified";
constexpr char kDownloadsDir[] = ".downloads";

struct VerifiedFile {
  std::string sha256;
  int64_t size = 0;
};

// What a marker records: the data set's name, where it came from, and each verified file.
struct Marker {
  std::string name;
  std::string source;
  std::string archive_sha256;
  std::map<std::string, VerifiedFile> files;
};

std::ostream& LogStream(const CacheOptions& options) {
  return options.download.progress_stream != nullptr ? *options.download.progress_stream
                                                     : std::cerr;
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The last path component of a URL, without query or fragment: the downloaded file's name.
std::string FileNameOfUrl(const std::string& url) {
  absl::string_view rest = url;
  const size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.rfind('/');
  if (slash == absl::string_view::npos) return "";
  return std::string(rest.substr(slash + 1));
}

fs::path DatasetDir(const std::string& root, const DatasetSpec& spec) {
  return fs::path(root) / spec.name;
}

std::string DataFolder(const fs::path& tree, const DatasetSpec& spec) {
  fs::path folder = spec.subdir.empty() ? tree : tree / spec.subdir;
  std::string out = folder.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string SerializeMarker(const Marker& marker) {
  std::string out =
      "# Written by scratchformer after verifying this data set. Delete this folder to fetch\n"
      "# it again. Lines: dataset, source, archive_sha256, then file <sha256> <size> <path>.\n";
  absl::StrAppend(&out, "dataset ", marker.name, "\n", "source ", marker.source, "\n",
                  "archive_sha256 ", marker.archive_sha256.empty() ? "-" : marker.archive_sha256,
                  "\n");
  for (const auto& [path, file] : marker.files) {
    absl::StrAppend(&out, "file ", file.sha256, " ", file.size, " ", path, "\n");
  }
  return out;
}

absl::StatusOr<Marker> ReadMarker(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no marker ", path.string()));
  Marker marker;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "dataset ")) {
      marker.name = std::string(rest);
    } else if (absl::ConsumePrefix(&rest, "source ")) {
      marker.source = std::string(rest);
    } else if (absl::ConsumePrefix(&rest, "archive_sha256 ")) {
      marker.archive_sha256 = rest == "-" ? "" : std::string(rest);
    } else if (absl::ConsumePrefix(&rest, "file ")) {
      std::vector<absl::string_view> parts = absl::StrSplit(rest, absl::MaxSplits(' ', 2));
      VerifiedFile file;
      if (parts.size() != 3 || !IsSha256Hex(parts[0]) || !absl::SimpleAtoi(parts[1], &file.size)) {
        return absl::DataLossError(absl::StrCat("malformed line in ", path.string(), ": ", line));
      }
      file.sha256 = std::string(parts[0]);
      marker.files[std::string(parts[2])] = file;
    } else {
      return absl::DataLossError(absl::StrCat("malformed line in ", path.string(), ": ", line));
    }
  }
  return marker;
}

absl::Status WriteMarker(const fs::path& path, const Marker& marker) {
  const std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << SerializeMarker(marker);
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", path.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Checks the files and directories `spec` expects in `folder`, hashing every file; returns what
// was verified. NotFound names a missing entry, DataLoss a hash mismatch.
absl::StatusOr<std::map<std::string, VerifiedFile>> VerifyFolder(const std::string& folder,
                                                                 const DatasetSpec& spec) {
  std::map<std::string, VerifiedFile> verified;
  for (const std::string& dir : spec.dirs) {
    std::error_code ec;
    if (!fs::is_directory(fs::path(folder) / dir, ec)) {
      return absl::NotFoundError(absl::StrCat(folder, " lacks the directory ", dir, "/"));
    }
  }
  for (const ExpectedFile& expected : spec.files) {
    const fs::path path = fs::path(folder) / expected.path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return absl::NotFoundError(absl::StrCat(folder, " lacks the file ", expected.path));
    }
    absl::StatusOr<std::string> sha = Sha256OfFile(path.string());
    if (!sha.ok()) return sha.status();
    if (!expected.sha256.empty() && *sha != expected.sha256) {
      return absl::DataLossError(absl::StrCat("sha256 mismatch for ", path.string(), ": expected ",
                                              expected.sha256, ", got ", *sha));
    }
    VerifiedFile file;
    file.sha256 = *sha;
    file.size = static_cast<int64_t>(fs::file_size(path, ec));
    verified[expected.path] = file;
  }
  return verified;
}

// Holds an exclusive flock on a directory for the lifetime of the object.
class DirLock {
 public:
  static absl::StatusOr<DirLock> Acquire(const std::string& dir, std::ostream& log) {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot open cache folder ", dir, ": ", std::strerror(errno)));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      log << "waiting for another process using the cache " << dir << "\n";
      if (flock(fd, LOCK_EX) != 0) {
        const int err = errno;
        close(fd);
        return absl::FailedPreconditionError(
            absl::StrCat("cannot lock cache folder ", dir, ": ", std::strerror(err)));
      }
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

absl::Status WithHint(const absl::Status& status, const std::string& prefix,
                      const DatasetSpec& spec, const std::string& root) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message(), "\n",
                                                  ManualInstallHint(spec, root)));
}

// Deals with an existing <root>/<name> that FindCachedDataset did not accept: returns its data
// folder when it can be adopted now, nullopt when it was removed and must be fetched again.
absl::StatusOr<std::optional<std::string>> HandleExistingDir(const DatasetSpec& spec, const std::string& root,
                                              const CacheOptions& options,
                                              const absl::Status& why_not_verified) {
  const fs::path dir = DatasetDir(root, spec);
  std::error_code ec;
  if (fs::exists(dir / kMarkerName, ec)) {
    // Our own copy, damaged or from an older spec: fetch again unless offline.
    if (options.offline) {
      return WithHint(
          absl::FailedPreconditionError(absl::StrCat(
              "the cached copy of '", spec.name, "' in ", dir.string(),
              " fails verification (", why_not_verified.message(),
              ") and offline mode forbids downloading it again")),
          "", spec, root);
    }
    LogStream(options) << "cached copy of '" << spec.name << "' in " << dir.string()
                       << " fails verification (" << why_not_verified.message()
                       << "); fetching it again\n";
    if (absl::Status s = RemoveTree(dir.string()); !s.ok()) return s;
    return std::nullopt;
  }
  // Placed there by the user: verify it, and adopt it or say what is wrong. Never delete it.
  const std::string folder = DataFolder(dir, spec);
  absl::StatusOr<std::map<std::string, VerifiedFile>> verified = VerifyFolder(folder, spec);
  if (!verified.ok()) {
    return WithHint(absl::FailedPreconditionError(absl::StrCat(
                        dir.string(), " exists but does not hold a valid copy of '", spec.name,
                        "': ", verified.status().message(),
                        ". Fix or remove that folder (it was not created by a download).")),
                    "", spec, root);
  }
  Marker marker;
  marker.name = spec.name;
  marker.source = "placed in the cache by the user";
  marker.files = *verified;
  if (absl::Status s = WriteMarker(dir / kMarkerName, marker); !s.ok()) return s;
  return std::optional<std::string>(folder);
}

}  // namespace

absl::StatusOr<std::string> DefaultCacheRoot() {
  const std::string xdg = Env("XDG_CACHE_HOME");
  // The XDG spec says relative values are invalid and must be ignored.
  if (!xdg.empty() && xdg[0] == '/') return (fs::path(xdg) / "scratchformer").string();
  const std::string home = Env("HOME");
  if (!home.empty()) return (fs::path(home) / ".cache" / "scratchformer").string();
  return absl::FailedPreconditionError(
      "no cache folder: neither XDG_CACHE_HOME nor HOME is set; pass --cache_dir");
}

absl::StatusOr<std::string> CacheRoot(const CacheOptions& options) {
  if (!options.cache_root.empty()) return sf::runtime::ResolveUserPath(options.cache_root);
  return DefaultCacheRoot();
}

absl::Status ValidateSpec(const DatasetSpec& spec) {
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("data set spec '", spec.name, "': ", what));
  };
  if (spec.name.empty() || spec.name[0] == '.') return bad("name must be non-empty, no leading '.'");
  for (char c : spec.name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return bad("name may only hold letters, digits, '-', '_' and '.'");
    }
  }
  if (spec.urls.empty()) return bad("no URL");
  for (const std::string& url : spec.urls) {
    if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
      return bad(absl::StrCat("URL ", url, " is not http(s)"));
    }
    const std::string file = FileNameOfUrl(url);
    if (file.empty() || file == "." || file == "..") {
      return bad(absl::StrCat("URL ", url, " does not end in a file name"));
    }
  }
  if (!spec.archive_sha256.empty() && !IsSha256Hex(spec.archive_sha256)) {
    return bad(absl::StrCat("archive_sha256 '", spec.archive_sha256,
                            "' is not 64 lowercase hex digits"));
  }
  if (!spec.subdir.empty() && !CheckEntryPath(spec.subdir).ok()) {
    return bad(absl::StrCat("subdir '", spec.subdir, "' must be a relative path without '..'"));
  }
  if (spec.files.empty() && spec.dirs.empty()) return bad("no expected files or directories");
  for (const ExpectedFile& file : spec.files) {
    if (!CheckEntryPath(file.path).ok()) {
      return bad(absl::StrCat("file '", file.path, "' must be a relative path without '..'"));
    }
    if (!file.sha256.empty() && !IsSha256Hex(file.sha256)) {
      return bad(absl::StrCat("sha256 of ", file.path, " '", file.sha256,
                              "' is not 64 lowercase hex digits"));
    }
  }
  for (const std::string& dir : spec.dirs) {
    if (!CheckEntryPath(dir).ok()) {
      return bad(absl::StrCat("dir '", dir, "' must be a relative path without '..'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindCachedDataset(const DatasetSpec& spec, const std::string& root,
                                              bool reverify) {
  const fs::path dir = DatasetDir(root, spec);
  const std::string folder = DataFolder(dir, spec);
  absl::StatusOr<Marker> marker = ReadMarker(dir / kMarkerName);
  if (!marker.ok()) {
    return absl::NotFoundError(absl::StrCat("no verified copy of '", spec.name, "' in ",
                                            dir.string(), " (", marker.status().message(), ")"));
  }
  if (marker->name != spec.name) {
    return absl::NotFoundError(absl::StrCat(dir.string(), " holds data set '", marker->name,
                                            "', not '", spec.name, "'"));
  }
  for (const std::string& d : spec.dirs) {
    std::error_code ec;
    if (!fs::is_directory(fs::path(folder) / d, ec)) {
      return absl::NotFoundError(absl::StrCat(folder, " lacks the directory ", d, "/"));
    }
  }
  for (const ExpectedFile& expected : spec.files) {
    auto recorded = marker->files.find(expected.path);
    if (recorded == marker->files.end()) {
      return absl::NotFoundError(
          absl::StrCat("the marker in ", dir.string(), " does not list ", expected.path));
    }
    if (!expected.sha256.empty() && recorded->second.sha256 != expected.sha256) {
      return absl::NotFoundError(absl::StrCat("the marker in ", dir.string(), " records sha256 ",
                                              recorded->second.sha256, " for ", expected.path,
                                              ", expected ", expected.sha256));
    }
    const fs::path path = fs::path(folder) / expected.path;
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    if (ec) return absl::NotFoundError(absl::StrCat(path.string(), " is missing"));
    if (static_cast<int64_t>(size) != recorded->second.size) {
      return absl::NotFoundError(absl::StrCat(path.string(), " has ", size, " bytes, ",
                                              recorded->second.size, " when verified"));
    }
    if (reverify) {
      absl::StatusOr<std::string> sha = Sha256OfFile(path.string());
      if (!sha.ok()) return absl::NotFoundError(sha.status().message());
      if (*sha != recorded->second.sha256) {
        return absl::NotFoundError(absl::StrCat(path.string(), " changed since it was verified"));
      }
    }
  }
  return folder;
}

absl::StatusOr<std::string> EnsureDataset(const DatasetSpec& spec, const CacheOptions& options) {
  if (absl::Status s = ValidateSpec(spec); !s.ok()) return s;
  absl::StatusOr<std::string> root_or = CacheRoot(options);
  if (!root_or.ok()) return root_or.status();
  const std::string root = *root_or;
  absl::StatusOr<std::string> cached = FindCachedDataset(spec, root, options.reverify);
  if (cached.ok()) return cached;

  const fs::path dir = DatasetDir(root, spec);
  std::error_code ec;
  if (options.offline && !fs::exists(dir, ec)) {
    return WithHint(absl::FailedPreconditionError(absl::StrCat(
                        "data set '", spec.name, "' is not in the cache (", dir.string(),
                        ") and offline mode forbids downloading it")),
                    "", spec, root);
  }
  fs::create_directories(root, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the cache folder ", root, ": ", ec.message()));
  }
  std::ostream& log_stream = LogStream(options);
  absl::StatusOr<DirLock> lock = DirLock::Acquire(root, log_stream);
  if (!lock.ok()) return lock.status();
  // Another process may have finished the same download while we waited for the lock.
  cached = FindCachedDataset(spec, root, options.reverify);
  if (cached.ok()) return cached;
  if (fs::exists(dir, ec)) {
    absl::StatusOr<std::optional<std::string>> existing =
        HandleExistingDir(spec, root, options, cached.status());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return **existing;
  }
  if (options.offline) {
    return WithHint(absl::FailedPreconditionError(absl::StrCat(
                        "data set '", spec.name, "' is not in the cache (", dir.string(),
                        ") and offline mode forbids downloading it")),
                    "", spec, root);
  }

  // One folder per data set, so that a `.part` is only ever resumed by the data set it
  // belongs to, even when two data sets' URLs end in the same file name.
  const fs::path downloads = fs::path(root) / kDownloadsDir / spec.name;
  auto remove_empty_downloads = [&] {
    RemoveDirIfEmpty(downloads.string());
    RemoveDirIfEmpty(downloads.parent_path().string());
  };
  fs::create_directories(downloads, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", downloads.string(), ": ", ec.message()));
  }
  Marker marker;
  marker.name = spec.name;
  std::string downloaded;
  std::string source;
  std::vector<std::string> errors;
  for (size_t i = 0; i < spec.urls.size(); ++i) {
    const std::string& url = spec.urls[i];
    const std::string file = (downloads / FileNameOfUrl(url)).string();
    log_stream << "fetching data set '" << spec.name << "' from " << url << "\n";
    absl::Status s = DownloadFile(url, file, options.download);
    if (s.ok() && !spec.archive_sha256.empty()) {
      // A mirror serving a different file is skipped like one that is down.
      absl::StatusOr<std::string> sha = Sha256OfFile(file);
      if (!sha.ok()) {
        s = sha.status();
      } else if (*sha != spec.archive_sha256) {
        s = absl::DataLossError(absl::StrCat("sha256 mismatch for ", url, ": expected ",
                                             spec.archive_sha256, ", got ", *sha,
                                             " (the download was deleted)"));
      }
      if (!s.ok()) std::remove(file.c_str());
      marker.archive_sha256 = spec.archive_sha256;
    }
    if (s.ok()) {
      downloaded = file;
      source = url;
      break;
    }
    errors.push_back(std::string(s.message()));
    // A `.part` from this mirror must not be continued from the next one.
    if (i + 1 < spec.urls.size()) std::remove(PartialPath(file).c_str());
    if (i + 1 == spec.urls.size()) {
      remove_empty_downloads();
      return WithHint(absl::Status(s.code(), absl::StrJoin(errors, "; ")),
                      absl::StrCat("cannot download data set '", spec.name, "': "), spec, root);
    }
  }
  // The download is only needed until its contents are in place, and a bad one must go.
  absl::Cleanup remove_download = [&] {
    std::remove(downloaded.c_str());
    remove_empty_downloads();
  };

  marker.source = source;

  absl::StatusOr<TempDir> staging = TempDir::Create(root, absl::StrCat(".staging-", spec.name, "-"));
  if (!staging.ok()) return staging.status();
  const fs::path tree = fs::path(staging->path()) / "tree";
  if (IsArchiveName(FileNameOfUrl(source))) {
    log_stream << "extracting " << fs::path(downloaded).filename().string() << "\n";
    absl::StatusOr<ExtractStats> stats = ExtractArchive(downloaded, tree.string());
    if (!stats.ok()) {
      return WithHint(stats.status(), absl::StrCat("cannot unpack ", source, ": "), spec, root);
    }
  } else {
    const fs::path target = fs::path(DataFolder(tree, spec)) / FileNameOfUrl(source);
    fs::create_directories(target.parent_path(), ec);
    if (ec || std::rename(downloaded.c_str(), target.c_str()) != 0) {
      return absl::InternalError(
          absl::StrCat("cannot move ", downloaded, " into ", target.parent_path().string()));
    }
  }
  absl::StatusOr<std::map<std::string, VerifiedFile>> verified =
      VerifyFolder(DataFolder(tree, spec), spec);
  if (!verified.ok()) {
    return WithHint(verified.status(),
                    absl::StrCat("the data downloaded from ", source, " fails verification: "),
                    spec, root);
  }
  marker.files = *verified;
  if (absl::Status s = WriteMarker(tree / kMarkerName, marker); !s.ok()) return s;
  if (std::rename(tree.c_str(), dir.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot move ", tree.string(), " to ", dir.string(),
                                            ": ", std::strerror(errno)));
  }
  log_stream << "data set '" << spec.name << "' verified and stored in " << dir.string() << "\n";
  return DataFolder(dir, spec);
}

absl::StatusOr<std::string> ResolveDataDir(const std::string& flag_value,
                                           const DatasetSpec& spec,
                                           const std::vector<std::string>& expected,
                                           const CacheOptions& options) {
  if (!flag_value.empty()) {
    const std::string path = sf::runtime::ResolveUserPath(flag_value);
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      return absl::NotFoundError(absl::StrCat(
          "--data_dir=", flag_value, ": ", path, " is not a directory; expected the '", spec.name,
          "' data set folder, holding: ", DescribeLayout(spec)));
    }
    for (const std::string& entry : expected) {
      if (!fs::exists(fs::path(path) / entry, ec)) {
        return absl::NotFoundError(absl::StrCat("--data_dir=", flag_value, ": ", path,
                                                " lacks ", entry, "; expected the '", spec.name,
                                                "' data set folder, holding: ",
                                                DescribeLayout(spec)));
      }
    }
    return path;
  }
  absl::StatusOr<std::string> folder = EnsureDataset(spec, options);
  if (!folder.ok()) return folder.status();
  for (const std::string& entry : expected) {
    std::error_code ec;
    if (!fs::exists(fs::path(*folder) / entry, ec)) {
      return absl::NotFoundError(absl::StrCat("the cached data set '", spec.name, "' in ",
                                              *folder, " lacks ", entry));
    }
  }
  return folder;
}

std::string DescribeLayout(const DatasetSpec& spec) {
  std::vector<std::string> entries;
  for (const std::string& dir : spec.dirs) entries.push_back(dir + "/");
  for (const ExpectedFile& file : spec.files) entries.push_back(file.path);
  return absl::StrJoin(entries, " ");
}

std::string ManualInstallHint(const DatasetSpec& spec, const std::string& root) {
  const bool archive = IsArchiveName(FileNameOfUrl(spec.urls.front()));
  const fs::path cache_folder(DataFolder(DatasetDir(root, spec), spec));
  std::string hint = absl::StrCat("To install '", spec.name, "' (", spec.description,
                                  ") by hand:\n  1. download ", spec.urls.front(), "\n");
  for (size_t i = 1; i < spec.urls.size(); ++i) {
    absl::StrAppend(&hint, "     or the mirror ", spec.urls[i], "\n");
  }
  if (!spec.archive_sha256.empty()) {
    absl::StrAppend(&hint, "     (sha256 ", spec.archive_sha256, ")\n");
  }
  if (archive) {
    absl::StrAppend(&hint, "  2. extract it; the data set folder is ",
                    spec.subdir.empty() ? "the top of the archive" : "'" + spec.subdir + "/'",
                    " and holds: ", DescribeLayout(spec), "\n");
  } else {
    absl::StrAppend(&hint, "  2. put it in a folder of its own, which then holds: ",
                    DescribeLayout(spec), "\n");
  }
  absl::StrAppend(&hint, "  3. pass --data_dir=<that folder>, or move it to ",
                  cache_folder.string(), " (it is verified on the next run)");
  return hint;
}

}  // namespace sf::download
