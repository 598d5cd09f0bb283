#include "vision/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace sf::vision {
namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

// The whole decompressed content of `path` (plain files pass through unchanged).
struct RawFile {
  std::string bytes;
  bool compressed = false;
  bool stream_cut_off = false;  // the gzip stream ended before its trailer: a truncated file
};

absl::Status OpenError(const std::string& path, int error) {
  std::string message = absl::StrCat("cannot open IDX file ", path, ": ",
                                     error == 0 ? "out of memory" : std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

absl::StatusOr<RawFile> ReadWholeFile(const std::string& path) {
  errno = 0;
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (file == nullptr) return OpenError(path, errno);
  gzbuffer(file.get(), 1 << 17);
  RawFile raw;
  constexpr size_t kChunk = 1 << 20;
  while (true) {
    const size_t old_size = raw.bytes.size();
    raw.bytes.resize(old_size + kChunk);
    const int n = gzread(file.get(), raw.bytes.data() + old_size, kChunk);
    if (n < 0) {
      int code = Z_OK;
      const char* message = gzerror(file.get(), &code);
      return absl::DataLossError(absl::StrCat("cannot read IDX file ", path, ": ",
                                              code == Z_ERRNO ? std::strerror(errno) : message));
    }
    raw.bytes.resize(old_size + static_cast<size_t>(n));
    if (static_cast<size_t>(n) < kChunk) break;
  }
  int code = Z_OK;
  gzerror(file.get(), &code);
  raw.stream_cut_off = code == Z_BUF_ERROR;
  raw.compressed = gzdirect(file.get()) == 0;
  return raw;
}

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
  absl::StatusOr<RawFile> raw = ReadWholeFile(path);
  if (!raw.ok()) return raw.status();
  const size_t actual = raw->bytes.size();
  const std::string what = raw->compressed ? " of decompressed data" : "";
  const std::string cut_off =
      raw->stream_cut_off ? " (the gzip stream ends early: the file is truncated)" : "";
  if (actual < 4) {
    return absl::DataLossError(absl::StrCat(path, ": ", actual, " bytes", what, cut_off,
                                            ", too short for the 4-byte IDX magic"));
  }
  const uint32_t magic = BigEndian32(raw->bytes, 0);
  if (magic != expected_magic) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: wrong IDX magic 0x%08x (%s), expected 0x%08x (%s)", path, magic,
        DescribeMagic(magic), expected_magic, DescribeMagic(expected_magic)));
  }
  const size_t rank = dim_names.size();
  const size_t header = 4 + 4 * rank;
  if (actual < header) {
    return absl::DataLossError(absl::StrCat(path, ": expected at least ", header,
                                            " bytes of IDX header, got ", actual, what, cut_off));
  }
  UbyteArray array;
  uint64_t count = 1;
  std::vector<std::string> factors;
  bool overflow = false;
  for (size_t d = 0; d < rank; ++d) {
    const uint32_t size = BigEndian32(raw->bytes, 4 + 4 * d);
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
  if (overflow || expected != actual) {
    const std::string expected_text =
        overflow ? std::string("more than 2^64") : absl::StrCat(expected);
    return absl::DataLossError(absl::StrCat(
        path, ": expected ", expected_text, " bytes (", header, "-byte header + ",
        absl::StrJoin(factors, " x "), " ", dim_names[0], "), got ", actual, what, cut_off));
  }
  if (raw->stream_cut_off) {
    return absl::DataLossError(absl::StrCat(path, ": the gzip stream ends early (no trailer); ",
                                            "the file is truncated or corrupt"));
  }
  array.bytes = std::move(raw->bytes);
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
