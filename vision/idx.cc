#include "vision/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace sf::vision {
namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

absl::Status OpenError(const std::string& path, int error) {
  std::string message = absl::StrCat("cannot open IDX file ", path, ": ",
                                     error == 0 ? "out of memory" : std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

// Past the size its header gives, a file is read only this much further, to tell how long it
// is: a small gzip file can inflate to gigabytes.
constexpr uint64_t kMaxCountedExcessBytes = uint64_t{1} << 20;

// A file read through zlib (plain files pass through unchanged), never further than asked.
class IdxStream {
 public:
  absl::Status Open(const std::string& path) {
    path_ = path;
    errno = 0;
    file_.reset(gzopen(path.c_str(), "rb"));
    if (file_ == nullptr) return OpenError(path, errno);
    gzbuffer(file_.get(), 1 << 17);
    return absl::OkStatus();
  }

  // Appends up to `n` more bytes to `out`, fewer only at the end of the data. The buffer grows
  // with the data actually read, not with `n`, which may come from a corrupt header.
  absl::Status Read(uint64_t n, std::string* out) {
    constexpr uint64_t kChunk = 1 << 20;
    while (n > 0) {
      const uint64_t want = std::min(n, kChunk);
      const size_t old_size = out->size();
      out->resize(old_size + want);
      absl::StatusOr<uint64_t> got = ReadInto(out->data() + old_size, want);
      out->resize(old_size + (got.ok() ? *got : 0));
      if (!got.ok()) return got.status();
      n -= *got;
      if (*got < want) break;
    }
    return absl::OkStatus();
  }

  // Reads on without keeping the bytes, at most `limit` of them; returns how many it read.
  absl::StatusOr<uint64_t> Skip(uint64_t limit) {
    std::vector<char> scratch(1 << 16);
    uint64_t total = 0;
    while (total < limit) {
      const uint64_t want = std::min<uint64_t>(limit - total, scratch.size());
      absl::StatusOr<uint64_t> got = ReadInto(scratch.data(), want);
      if (!got.ok()) return got.status();
      total += *got;
      if (*got < want) break;
    }
    return total;
  }

  bool compressed() { return gzdirect(file_.get()) == 0; }

  // The gzip stream ended before its trailer: a truncated file. Known once a read has reached
  // the end of the data.
  bool cut_off() {
    int code = Z_OK;
    gzerror(file_.get(), &code);
    return code == Z_BUF_ERROR;
  }

 private:
  absl::StatusOr<uint64_t> ReadInto(char* data, uint64_t n) {
    const int got = gzread(file_.get(), data, static_cast<unsigned>(n));
    if (got < 0) {
      int code = Z_OK;
      const char* message = gzerror(file_.get(), &code);
      return absl::DataLossError(absl::StrCat("cannot read IDX file ", path_, ": ",
                                              code == Z_ERRNO ? std::strerror(errno) : message));
    }
    return static_cast<uint64_t>(got);
  }

  std::string path_;
  std::unique_ptr<gzFile_s, GzCloser> file_;
};

uint32_t BigEndian32(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string DescribeMagic(uint32_t magic) {
  if ((magic >> 16) != 0) return "not an IDX file: its first two bytes must be zero";
  const uint32_t type = (magic >> 8) & 0xff;
  const uint32_t dims = magic & 0xff;
  std::string type_name;
  switch (type) {
    case 0x08: type_name = "unsigned byte"; break;
    case 0x09: type_name = "signed byte"; break;
    case 0x0B: type_name = "int16"; break;
    case 0x0C: type_name = "int32"; break;
    case 0x0D: type_name = "float32"; break;
    case 0x0E: type_name = "float64"; break;
    default: type_name = absl::StrFormat("unknown type 0x%02x", type);
  }
  return absl::StrCat(type_name, " elements, ", dims, dims == 1 ? " dimension" : " dimensions");
}

// An IDX file of unsigned bytes with the dimension count `expected_magic` names: its sizes and
// its payload (the bytes after the header).
struct UbyteArray {
  std::vector<int64_t> sizes;
  std::string bytes;
  size_t payload_offset = 0;
};

absl::StatusOr<UbyteArray> ReadUbyteIdx(const std::string& path, uint32_t expected_magic,
                                        const std::vector<std::string>& dim_names) {
  IdxStream in;
  absl::Status status = in.Open(path);
  if (!status.ok()) return status;
  UbyteArray array;
  std::string& bytes = array.bytes;
  const size_t rank = dim_names.size();
  const size_t header = 4 + 4 * rank;
  // The header first: its sizes say how much to read, so a file is never inflated in full.
  status = in.Read(header, &bytes);
  if (!status.ok()) return status;
  // For messages about a length, after a read that reached the end of the data.
  const auto what = [&in] {
    return std::string(in.compressed() ? " of decompressed data" : "");
  };
  const auto cut_off = [&in] {
    return std::string(in.cut_off() ? " (the gzip stream ends early: the file is truncated)"
                                    : "");
  };
  if (bytes.size() < 4) {
    return absl::DataLossError(absl::StrCat(path, ": ", bytes.size(), " bytes", what(),
                                            cut_off(), ", too short for the 4-byte IDX magic"));
  }
  const uint32_t magic = BigEndian32(bytes, 0);
  if (magic != expected_magic) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: wrong IDX magic 0x%08x (%s), expected 0x%08x (%s)", path, magic,
        DescribeMagic(magic), expected_magic, DescribeMagic(expected_magic)));
  }
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrCat(path, ": expected at least ", header,
                                            " bytes of IDX header, got ", bytes.size(), what(),
                                            cut_off()));
  }
  uint64_t count = 1;
  std::vector<std::string> factors;
  bool overflow = false;
  for (size_t d = 0; d < rank; ++d) {
    const uint32_t size = BigEndian32(bytes, 4 + 4 * d);
    if (size == 0 && d > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": IDX dimension ", d, " (", dim_names[d], ") is 0"));
    }
    array.sizes.push_back(size);
    factors.push_back(absl::StrCat(size));
    overflow = overflow || __builtin_mul_overflow(count, uint64_t{size}, &count);
  }
  uint64_t expected = 0;
  overflow = overflow || __builtin_add_overflow(count, uint64_t{header}, &expected);
  // The payload and one byte more, which tells a file with extra data from a complete one.
  if (!overflow) status = in.Read(count + 1, &bytes);
  if (!status.ok()) return status;
  uint64_t actual = bytes.size();
  bool actual_exact = true;
  if (overflow || actual > expected) {
    absl::StatusOr<uint64_t> rest = in.Skip(kMaxCountedExcessBytes);
    if (!rest.ok()) return rest.status();
    actual += *rest;
    actual_exact = *rest < kMaxCountedExcessBytes;
  }
  if (overflow || actual != expected) {
    const std::string expected_text =
        overflow ? std::string("more than 2^64") : absl::StrCat(expected);
    const std::string actual_text =
        actual_exact ? absl::StrCat(actual) : absl::StrCat("at least ", actual);
    const std::string excess =
        !overflow && actual > expected ? "; extra data follows what the header describes" : "";
    return absl::DataLossError(absl::StrCat(
        path, ": expected ", expected_text, " bytes (", header, "-byte header + ",
        absl::StrJoin(factors, " x "), " ", dim_names[0], "), got ", actual_text, what(),
        actual_exact ? cut_off() : "", excess));
  }
  if (in.cut_off()) {
    return absl::DataLossError(absl::StrCat(path, ": the gzip stream ends early (no trailer); ",
                                            "the file is truncated or corrupt"));
  }
  array.payload_offset = header;
  return array;
}

at::Tensor BytesToTensor(const UbyteArray& array) {
  at::Tensor out = at::empty(array.sizes, at::kByte);
  const size_t n = array.bytes.size() - array.payload_offset;
  // An empty set (zero images) has no storage: memcpy must not see its null pointer.
  if (n > 0) std::memcpy(out.data_ptr<uint8_t>(), array.bytes.data() + array.payload_offset, n);
  return out;
}

}  // namespace

absl::StatusOr<at::Tensor> ReadIdxImages(const std::string& path) {
  absl::StatusOr<UbyteArray> array =
      ReadUbyteIdx(path, kIdxImagesMagic, {"images", "rows", "columns"});
  if (!array.ok()) return array.status();
  return BytesToTensor(*array).unsqueeze(1).to(at::kFloat).div_(255.0);
}

absl::StatusOr<at::Tensor> ReadIdxLabels(const std::string& path) {
  absl::StatusOr<UbyteArray> array = ReadUbyteIdx(path, kIdxLabelsMagic, {"labels"});
  if (!array.ok()) return array.status();
  return BytesToTensor(*array).to(at::kLong);
}

}  // namespace sf::vision
