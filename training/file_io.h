// Files that are either absent, the old version, or the complete new version: never half
// written. Checkpoints, exported weights and final metrics go through here.
//
//   absl::Status s = sf::training::WriteFileAtomically("/runs/a/final_metrics.json", text);
//
//   // Streaming a large file:
//   absl::StatusOr<sf::training::AtomicFileWriter> w =
//       sf::training::AtomicFileWriter::Open("/runs/a/ckpt.sfckpt");
//   if (!w.ok()) return w.status();
//   absl::Status s = w->Append(header);
//   if (s.ok()) s = w->Append(payload);
//   if (s.ok()) s = w->Commit();  // A writer destroyed before Commit() deletes its temp file.
//
// The bytes go to a temporary file in the destination directory (same file system, so the
// rename is atomic), which is fsync'ed, renamed over the destination, and the directory is
// fsync'ed so the rename itself survives a power cut. A process killed mid-write leaves at
// most a hidden temporary file `.<name>.tmp.XXXXXX`, which IsAtomicWriteTempFile() recognises.
// A symbolic link is followed: the file it names is replaced and the link stays. A path that
// names a pipe or device (/dev/stdout, /dev/null) is written directly, as by a shell
// redirection; a directory is an error.
#ifndef SCRATCHFORMER_TRAINING_FILE_IO_H_
#define SCRATCHFORMER_TRAINING_FILE_IO_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::training {

class AtomicFileWriter {
 public:
  // Creates the temporary file next to `path`. Errors name `path` and the system error.
  static absl::StatusOr<AtomicFileWriter> Open(const std::string& path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Discards the temporary file unless Commit() succeeded.
  ~AtomicFileWriter();

  absl::Status Append(const void* data, size_t size);
  absl::Status Append(absl::string_view bytes) { return Append(bytes.data(), bytes.size()); }

  // fsync, close, rename onto the destination, fsync the directory. The writer is finished
  // afterwards whatever the outcome; on failure the destination is untouched.
  absl::Status Commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFileWriter(std::string path, std::string destination, std::string temp_path, int fd);
  void Discard();

  std::string path_;         // as the caller named it, for messages
  std::string destination_;  // the file the rename replaces: path_ with links followed
  std::string temp_path_;    // empty when writing straight into a pipe or device
  int fd_ = -1;
};

// Replaces (or creates) `path` with `contents` atomically.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// The whole file. NotFound when it does not exist; errors name `path`.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// True for the names of temporary files AtomicFileWriter creates (a base name, not a path).
bool IsAtomicWriteTempFile(const std::string& file_name);

// Creates `dir` and its parents when missing; an error names `dir`.
absl::Status CreateDirectories(const std::string& dir);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_FILE_IO_H_
