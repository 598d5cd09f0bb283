#include "training/event_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "training/crc32c.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

// Protobuf wire types.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void AppendTag(std::string* out, int field, int wire_type) {
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void AppendLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void AppendBytesField(std::string* out, int field, absl::string_view bytes) {
  AppendTag(out, field, kLengthDelimited);
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

void AppendWallTime(std::string* out, double wall_time) {
  uint64_t bits;
  std::memcpy(&bits, &wall_time, sizeof(bits));
  AppendTag(out, 1, kFixed64);
  AppendLittleEndian(out, bits, 8);
}

}  // namespace

std::string EncodeFileVersionEvent(double wall_time) {
  std::string event;
  AppendWallTime(&event, wall_time);
  AppendBytesField(&event, 3, "brain.Event:2");
  return event;
}

std::string EncodeScalarsEvent(double wall_time, int64_t step,
                               const std::vector<std::pair<std::string, float>>& values) {
  std::string summary;
  for (const auto& [tag, value] : values) {
    std::string v;
    AppendBytesField(&v, 1, tag);
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    AppendTag(&v, 2, kFixed32);
    AppendLittleEndian(&v, bits, 4);
    AppendBytesField(&summary, 1, v);
  }
  std::string event;
  AppendWallTime(&event, wall_time);
  AppendTag(&event, 2, kVarint);
  AppendVarint(&event, static_cast<uint64_t>(step));  // int64: two's complement, as protobuf
  AppendBytesField(&event, 5, summary);
  return event;
}

std::string EncodeSessionStartEvent(double wall_time, int64_t step) {
  std::string session_log;
  AppendTag(&session_log, 1, kVarint);
  AppendVarint(&session_log, 1);  // SessionLog.START
  std::string event;
  AppendWallTime(&event, wall_time);
  AppendTag(&event, 2, kVarint);
  AppendVarint(&event, static_cast<uint64_t>(step));
  AppendBytesField(&event, 6, session_log);
  return event;
}

std::string FrameTfRecord(absl::string_view data) {
  std::string record;
  AppendLittleEndian(&record, data.size(), 8);
  const uint32_t length_crc = MaskCrc32c(Crc32c(record.data(), 8));
  AppendLittleEndian(&record, length_crc, 4);
  record.append(data.data(), data.size());
  AppendLittleEndian(&record, MaskCrc32c(Crc32c(data.data(), data.size())), 4);
  return record;
}

double WallTimeSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::unique_ptr<EventWriter>> EventWriter::Open(const std::string& log_dir) {
  absl::Status s = CreateDirectories(log_dir);
  if (!s.ok()) return s;
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  static std::atomic<int> counter{0};
  const std::string path =
      absl::StrCat(log_dir, "/events.out.tfevents.", static_cast<int64_t>(WallTimeSeconds()),
                   ".", host, ".", ::getpid(), ".", counter++);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(
        "cannot create event file ", path, ": ",
        std::error_code(errno, std::generic_category()).message()));
  }
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot open event file ", path));
  }
  std::unique_ptr<EventWriter> writer(new EventWriter(path, file));
  s = writer->WriteRecord(EncodeFileVersionEvent(WallTimeSeconds()));
  if (!s.ok()) return s;
  return writer;
}

EventWriter::~EventWriter() { std::fclose(file_); }

absl::Status EventWriter::WriteRecord(const std::string& event) {
  const std::string record = FrameTfRecord(event);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
      std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot write event file ", path_, ": ",
        std::error_code(errno, std::generic_category()).message()));
  }
  return absl::OkStatus();
}

absl::Status EventWriter::AddScalars(int64_t step, const std::map<std::string, double>& scalars) {
  std::vector<std::pair<std::string, float>> values;
  values.reserve(scalars.size());
  for (const auto& [tag, value] : scalars) values.emplace_back(tag, static_cast<float>(value));
  return WriteRecord(EncodeScalarsEvent(WallTimeSeconds(), step, values));
}

absl::Status EventWriter::AddSessionStart(int64_t step) {
  return WriteRecord(EncodeSessionStartEvent(WallTimeSeconds(), step));
}

}  // namespace sf::training
