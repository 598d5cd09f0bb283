// A uniquely named scratch directory that deletes itself unless released, so a failed or
// interrupted step (download, extraction, verification) leaves nothing behind:
//
//   absl::StatusOr<sf::download::TempDir> staging =
//       sf::download::TempDir::Create("/cache", ".staging-imdb-");
//   ... write into staging->path() ...
//   if (rename(staging->path() + "/tree", "/cache/imdb") == 0) ...   // the rest is removed
//
// Directories are made with mkdtemp in the given parent, so a later rename into place stays on
// one file system and is atomic.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_TEMP_DIR_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_TEMP_DIR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sf::download {

class TempDir {
 public:
  // Creates `<parent>/<prefix>XXXXXX`. `parent` must exist.
  static absl::StatusOr<TempDir> Create(const std::string& parent, const std::string& prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Removes the directory tree (unless released).
  ~TempDir();

  const std::string& path() const { return path_; }

  // Keeps the directory on disk; the caller owns it from now on.
  std::string Release();

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;
};

// Removes `path` and everything below it; OK when it does not exist. Names the path on error.
absl::Status RemoveTree(const std::string& path);

// Removes directory `path` if it is empty; a no-op otherwise. For tidying helper folders.
void RemoveDirIfEmpty(const std::string& path);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_TEMP_DIR_H_
