// A verified cache of downloaded data sets, and the `--data_dir` logic every task binary shares.
//
// A data set is described by a DatasetSpec (see datasets.h for the project's). EnsureDataset
// returns its local folder, downloading it on first use:
//
//   sf::download::CacheOptions options;                     // ~/.cache/scratchformer
//   absl::StatusOr<std::string> dir = sf::download::EnsureDataset(ImdbSpec(), options);
//   // -> /home/me/.cache/scratchformer/imdb/aclImdb
//
// and ResolveDataDir prefers a folder the user already has:
//
//   absl::StatusOr<std::string> dir = sf::download::ResolveDataDir(
//       absl::GetFlag(FLAGS_data_dir), ImdbSpec(), {"train/pos", "train/neg"}, options);
//
// Cache layout under the root (`$XDG_CACHE_HOME/scratchformer` or `~/.cache/scratchformer`):
//
//   <root>/<name>/                      one verified data set (renamed into place at the end)
//   <root>/<name>/.scratchformer-verified   marker: the hashes and sizes that were verified
//   <root>/.downloads/<name>/<file>.part  an interrupted download, resumed by the next run
//   <root>/.staging-<name>-XXXXXX/      a run in progress (removed on success and failure)
//
// A download is verified (archive SHA-256 when the spec has one), extracted into the staging
// folder, its expected files are checked (existence, and SHA-256 where known), the marker is
// written, and only then is the folder renamed to <root>/<name>. A failure (checksum mismatch,
// HTTP error, refused connection, bad archive) removes the download and the staging folder:
// the cache is left as it was. Only an interrupted transfer leaves its `.part` for resuming.
//
// A folder the user placed at <root>/<name> themselves (no marker) is verified like a download
// and adopted. Concurrent processes using one cache are serialised with flock on the root.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_DATASET_CACHE_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_DATASET_CACHE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/download/http_download.h"

namespace sf::download {

struct ExpectedFile {
  std::string path;    // relative to the data set folder (DatasetSpec::subdir)
  std::string sha256;  // lowercase hex; empty when no trusted hash is known: existence only
};

struct DatasetSpec {
  std::string name;               // cache folder and --dataset value, e.g. "imdb"
  std::string description;        // one line, for listings and error messages
  std::vector<std::string> urls;  // mirrors, tried in order
  // SHA-256 of the downloaded file; empty: not checked (the expected files still are).
  std::string archive_sha256;
  // The data set folder inside the extracted tree ("aclImdb"), "" for the top. A download that
  // is not an archive (see IsArchiveName) is stored under this folder with its URL's file name.
  std::string subdir;
  std::vector<ExpectedFile> files;  // relative to subdir
  std::vector<std::string> dirs;    // directories that must exist, relative to subdir
};

struct CacheOptions {
  std::string cache_root;  // empty: DefaultCacheRoot()
  bool offline = false;    // never touch the network; a missing data set is an error
  // Re-hash the files of a cached copy instead of trusting its marker (sizes are always
  // checked).
  bool reverify = false;
  DownloadOptions download;
};

// `$XDG_CACHE_HOME/scratchformer` when XDG_CACHE_HOME is an absolute path, else
// `$HOME/.cache/scratchformer`. FailedPrecondition when neither is usable.
absl::StatusOr<std::string> DefaultCacheRoot();

// `options.cache_root` (resolved like a user path) or DefaultCacheRoot().
absl::StatusOr<std::string> CacheRoot(const CacheOptions& options);

// InvalidArgument naming the field when `spec` is malformed (bad name, no URL, bad hash, unsafe
// relative path).
absl::Status ValidateSpec(const DatasetSpec& spec);

// The data set folder if the cache holds a verified copy (marker present and consistent with
// `spec`, files present with their recorded sizes), else NotFound saying why.
absl::StatusOr<std::string> FindCachedDataset(const DatasetSpec& spec, const std::string& root,
                                              bool reverify = false);

// Returns the local data set folder (<root>/<name>/<subdir>), downloading and verifying it when
// the cache has no verified copy. Errors name the URL(s) and say how to install the data by
// hand (ManualInstallHint).
absl::StatusOr<std::string> EnsureDataset(const DatasetSpec& spec,
                                          const CacheOptions& options = {});

// `flag_value` non-empty: that folder (resolved with sf::runtime::ResolveUserPath) if it holds
// every entry of `expected` (files or directories, relative to it), else NotFound naming the
// folder and the first missing entry. Empty: EnsureDataset, then the same check.
absl::StatusOr<std::string> ResolveDataDir(const std::string& flag_value,
                                           const DatasetSpec& spec,
                                           const std::vector<std::string>& expected,
                                           const CacheOptions& options = {});

// Instructions for installing `spec` without this code: the URL(s) to fetch, the expected
// layout, and the two ways to use the copy (--data_dir=..., or the cache folder under `root`).
std::string ManualInstallHint(const DatasetSpec& spec, const std::string& root);

// "train/pos/ train/neg/ imdb.vocab ...": the layout a data set folder must have.
std::string DescribeLayout(const DatasetSpec& spec);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_DATASET_CACHE_H_
