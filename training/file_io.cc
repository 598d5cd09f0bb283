#include "training/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

constexpr char kTempMarker[] = ".tmp.";

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string message = absl::StrCat(what, ": ", ErrnoText(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string ParentDirectory(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open directory ", dir));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems cannot sync directories and say so with EINVAL; nothing more can be done.
  if (rc != 0 && err != EINVAL) {
    return ErrnoStatus(err, absl::StrCat("cannot fsync directory ", dir));
  }
  return absl::OkStatus();
}

// The file a chain of symbolic links starting at `path` ends at (which may not exist yet), so
// that replacing it keeps the links; `path` itself when it is not a link.
absl::StatusOr<std::string> FinalLinkTarget(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(current.c_str(), &st) != 0) {
      if (errno == ENOENT) return current;
      return ErrnoStatus(errno, absl::StrCat("cannot stat ", current, " to write ", path));
    }
    if (!S_ISLNK(st.st_mode)) return current;
    std::error_code error;
    const fs::path link = fs::read_symlink(current, error);
    if (error) {
      return ErrnoStatus(error.value(), absl::StrCat("cannot read the link ", current));
    }
    current =
        link.is_absolute() ? link.string() : (fs::path(current).parent_path() / link).string();
  }
  return ErrnoStatus(ELOOP, absl::StrCat("cannot resolve ", path));
}

// Permissions a plain open(O_CREAT, 0666) would give: 0666 minus the umask (mkstemp creates
// 0600, and a checkpoint or export should be readable like any other output).
mode_t NewFileMode() {
  static const mode_t mode = [] {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path, std::string destination,
                                   std::string temp_path, int fd)
    : path_(std::move(path)),
      destination_(std::move(destination)),
      temp_path_(std::move(temp_path)),
      fd_(fd) {}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      destination_(std::move(other.destination_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_) {
  other.fd_ = -1;
}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    destination_ = std::move(other.destination_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { Discard(); }

void AtomicFileWriter::Discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  fd_ = -1;
}

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("cannot write a file with an empty path");
  if (fs::path(path).filename().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("not a file path (ends in '/'): ", path));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write ", path, ": it is a directory"));
    }
    // A pipe, terminal or device (/dev/stdout, /dev/null): there is nothing to replace, so
    // the bytes go straight into it, as with a shell redirection.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path, " to write"));
    return AtomicFileWriter(path, path, /*temp_path=*/"", fd);
  }
  // Through symbolic links to the file they name: the temporary file sits beside that file
  // (one file system, so the rename is atomic) and the links stay links.
  absl::StatusOr<std::string> destination = FinalLinkTarget(path);
  if (!destination.ok()) return destination.status();
  const fs::path d(*destination);
  std::string temp =
      (d.parent_path() / absl::StrCat(".", d.filename().string(), kTempMarker, "XXXXXX"))
          .string();
  std::vector<char> buffer(temp.begin(), temp.end());
  buffer.push_back('\0');
  int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot create a temporary file in ",
                                           ParentDirectory(*destination), " to write ", path));
  }
  ::fchmod(fd, NewFileMode());
  return AtomicFileWriter(path, *destination, std::string(buffer.data()), fd);
}

absl::Status AtomicFileWriter::Append(const void* data, size_t size) {
  if (fd_ < 0) {
    return absl::FailedPreconditionError(absl::StrCat("writer for ", path_, " is finished"));
  }
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = ErrnoStatus(
          errno, temp_path_.empty() ? absl::StrCat("cannot write ", path_)
                                    : absl::StrCat("cannot write ", temp_path_,
                                                   " (temporary file for ", path_, ")"));
      Discard();
      return s;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) {
    return absl::FailedPreconditionError(absl::StrCat("writer for ", path_, " is finished"));
  }
  if (temp_path_.empty()) {  // written straight into a pipe or device
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus(errno, absl::StrCat("cannot close ", path_));
    return absl::OkStatus();
  }
  if (::fsync(fd_) != 0) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat("cannot fsync ", temp_path_));
    Discard();
    return s;
  }
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat("cannot close ", temp_path_));
    ::unlink(temp_path_.c_str());
    return s;
  }
  if (::rename(temp_path_.c_str(), destination_.c_str()) != 0) {
    absl::Status s =
        ErrnoStatus(errno, absl::StrCat("cannot rename ", temp_path_, " to ", destination_));
    ::unlink(temp_path_.c_str());
    return s;
  }
  return SyncDirectory(ParentDirectory(destination_));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Open(path);
  if (!writer.ok()) return writer.status();
  absl::Status s = writer->Append(contents);
  if (!s.ok()) return s;
  return writer->Commit();
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat("cannot stat ", path));
    ::close(fd);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a file"));
  }
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = ErrnoStatus(errno, absl::StrCat("cannot read ", path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool IsAtomicWriteTempFile(const std::string& file_name) {
  if (!absl::StartsWith(file_name, ".")) return false;
  size_t pos = file_name.rfind(kTempMarker);
  return pos != std::string::npos && file_name.size() - pos == sizeof(kTempMarker) - 1 + 6;
}

absl::Status CreateDirectories(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create directory ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace sf::training
