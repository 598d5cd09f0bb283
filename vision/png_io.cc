#include "vision/png_io.h"

#include <png.h>
#include <sys/stat.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "training/file_io.h"

namespace sf::vision {
namespace {

// libpng reports errors by calling an error function that must not return. The only safe
// way out in C++ is longjmp back to a setjmp that sits in a function whose frame owns no
// object with a destructor, so the jump skips no cleanup: every such function below keeps
// only plain pointers and integers, and all owning objects (FILE, png structs, pixel
// buffers) live in the caller, which frees them whether the libpng phase succeeded or not.
struct PngError {
  char message[256] = "";
  bool truncated = false;  // the file ended before libpng had read all it needed
  long end_offset = -1;    // where it ended
};

[[noreturn]] void OnPngError(png_structp png, png_const_charp message) {
  auto* error = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(error->message, sizeof(error->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings (unknown chunks, questionable colour profiles) do not affect the pixels.
void OnPngWarning(png_structp, png_const_charp) {}

// libpng's default reader reports a short read as "Read Error", the same for a truncated file
// as for an I/O failure; this one tells them apart.
void ReadFromFile(png_structp png, png_bytep data, png_size_t length) {
  FILE* file = static_cast<FILE*>(png_get_io_ptr(png));
  if (std::fread(data, 1, length, file) == length) return;
  if (std::ferror(file)) png_error(png, std::strerror(errno));
  auto* error = static_cast<PngError*>(png_get_error_ptr(png));
  error->truncated = true;
  error->end_offset = std::ftell(file);
  png_error(png, "unexpected end of file");
}

absl::Status OpenError(const std::string& what, const std::string& path, int error) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

struct ReadHandles {
  FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~ReadHandles() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
    if (file != nullptr) std::fclose(file);
  }
};

struct ReadLayout {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
  size_t row_bytes = 0;
};

// Phase 1: header and transformations to 8-bit gray or RGB without alpha.
bool ReadHeader(png_structp png, png_infop info, FILE* file, PngChannels wanted,
                ReadLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, file, ReadFromFile);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png);
  // Colour to gray is done by the caller (LumaOf): libpng's rgb_to_gray works in linear light
  // when the file has a gAMA or sRGB chunk, so the same stored pixels would give other grays.
  const bool stored_gray = (color_type & PNG_COLOR_MASK_COLOR) == 0;
  if (stored_gray && wanted == PngChannels::kRgb) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->width = png_get_image_width(png, info);
  layout->height = png_get_image_height(png, info);
  layout->channels = png_get_channels(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return true;
}

// Phase 2: the pixels, into rows the caller allocated.
bool ReadPixels(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, info);
  return true;
}

// Gray levels [H, W, 1] of 8-bit RGB pixels [H, W, 3]: the luma weights applied to the stored
// values, rounded to the nearest level. The weights sum to 1, so neutral colours stay exact.
at::Tensor LumaOf(const at::Tensor& rgb) {
  at::Tensor gray = at::empty({rgb.size(0), rgb.size(1), 1}, at::kByte);
  const uint8_t* in = rgb.data_ptr<uint8_t>();
  uint8_t* out = gray.data_ptr<uint8_t>();
  for (int64_t i = 0, n = gray.numel(); i < n; ++i, in += 3) {
    out[i] = static_cast<uint8_t>((2126 * in[0] + 7152 * in[1] + 722 * in[2] + 5000) / 10000);
  }
  return gray;
}

struct WriteHandles {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~WriteHandles() {
    if (png != nullptr) png_destroy_write_struct(&png, info != nullptr ? &info : nullptr);
  }
};

// Called from inside libpng: no exception may cross it, so a failed allocation becomes a libpng
// error (png_error leaves this frame by longjmp once the string is no longer in use).
void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  bool appended = false;
  try {
    static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), length);
    appended = true;
  } catch (const std::bad_alloc&) {
  }
  if (!appended) png_error(png, "out of memory for the encoded image");
}

void NoFlush(png_structp) {}

// The whole PNG file, into `out` (owned by the caller; see PngError).
bool EncodePixels(png_structp png, png_infop info, std::string* out, png_uint_32 width,
                  png_uint_32 height, int color_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, out, AppendToString, NoFlush);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

absl::Status ReadError(const std::string& path, const PngError& error) {
  if (error.truncated) {
    return absl::DataLossError(absl::StrCat("truncated PNG file ", path, ": it ends after ",
                                            error.end_offset,
                                            " bytes, before the image is complete"));
  }
  return absl::DataLossError(absl::StrCat("corrupt PNG file ", path, ": ", error.message));
}

}  // namespace

absl::StatusOr<at::Tensor> ReadPng(const std::string& path, PngChannels channels) {
  ReadHandles handles;
  handles.file = std::fopen(path.c_str(), "rb");
  if (handles.file == nullptr) return OpenError("cannot open PNG file", path, errno);
  struct stat st;
  if (fstat(fileno(handles.file), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a PNG file"));
  }
  png_byte signature[8] = {};
  const size_t got = std::fread(signature, 1, sizeof(signature), handles.file);
  if (got != sizeof(signature) || png_sig_cmp(signature, 0, sizeof(signature)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a PNG file (no PNG signature in its first 8 bytes)"));
  }
  PngError error;
  handles.png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, OnPngError, OnPngWarning);
  if (handles.png != nullptr) handles.info = png_create_info_struct(handles.png);
  if (handles.png == nullptr || handles.info == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("libpng cannot allocate to read ", path));
  }
  ReadLayout layout;
  if (!ReadHeader(handles.png, handles.info, handles.file, channels, &layout)) {
    return ReadError(path, error);
  }
  // The header alone decides the allocation below: refuse sizes no real input has before a
  // few corrupt bytes cost gigabytes.
  if (uint64_t{layout.width} * layout.height > kMaxPngPixels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PNG file ", path, " claims ", layout.width, " x ", layout.height,
        " pixels, more than the ", kMaxPngPixels, " this reader accepts"));
  }
  TORCH_CHECK(layout.channels == 1 || layout.channels == 3, "libpng produced ", layout.channels,
              " channels for ", path, ", expected 1 or 3 after transformations");
  TORCH_CHECK(layout.row_bytes == size_t{layout.width} * layout.channels, "row of ",
              layout.row_bytes, " bytes for ", layout.width, " x ", layout.channels, " in ", path);
  at::Tensor pixels = at::empty({static_cast<int64_t>(layout.height),
                                 static_cast<int64_t>(layout.width), layout.channels},
                                at::kByte);
  std::vector<png_bytep> rows(layout.height);
  for (png_uint_32 y = 0; y < layout.height; ++y) {
    rows[y] = pixels.data_ptr<uint8_t>() + size_t{y} * layout.row_bytes;
  }
  if (!ReadPixels(handles.png, handles.info, rows.data())) return ReadError(path, error);
  if (channels == PngChannels::kGray && layout.channels == 3) pixels = LumaOf(pixels);
  return pixels.permute({2, 0, 1}).to(at::kFloat).div_(255.0).contiguous();
}

absl::Status WritePng(const std::string& path, const at::Tensor& image) {
  TORCH_CHECK(image.dim() == 2 || image.dim() == 3, "WritePng expects [C, H, W] or [H, W], got ",
              image.sizes());
  at::Tensor chw = image.dim() == 2 ? image.unsqueeze(0) : image;
  const int64_t channels = chw.size(0), height = chw.size(1), width = chw.size(2);
  TORCH_CHECK(channels == 1 || channels == 3, "WritePng expects 1 or 3 channels, got ",
              chw.sizes());
  TORCH_CHECK(height > 0 && width > 0 && height <= PNG_UINT_31_MAX && width <= PNG_UINT_31_MAX,
              "WritePng: unsupported image size ", chw.sizes());
  at::Tensor bytes;
  if (chw.scalar_type() == at::kByte) {
    bytes = chw.cpu();
  } else {
    TORCH_CHECK(at::isFloatingType(chw.scalar_type()),
                "WritePng expects a floating-point or uint8 tensor, got ", chw.scalar_type());
    bytes = at::nan_to_num(chw.detach().cpu().to(at::kFloat), 0.0, 1.0, 0.0)
                .clamp(0.0, 1.0)
                .mul(255.0)
                .round()
                .to(at::kByte);
  }
  bytes = bytes.permute({1, 2, 0}).contiguous();
  std::vector<png_bytep> rows(height);
  for (int64_t y = 0; y < height; ++y) rows[y] = bytes.data_ptr<uint8_t>() + y * width * channels;

  WriteHandles handles;
  PngError error;
  handles.png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, OnPngError, OnPngWarning);
  if (handles.png != nullptr) handles.info = png_create_info_struct(handles.png);
  if (handles.png == nullptr || handles.info == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("libpng cannot allocate to write ", path));
  }
  const int color_type = channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
  std::string encoded;
  if (!EncodePixels(handles.png, handles.info, &encoded, static_cast<png_uint_32>(width),
                    static_cast<png_uint_32>(height), color_type, rows.data())) {
    return absl::InternalError(absl::StrCat("cannot encode PNG ", path, ": ", error.message));
  }
  return training::WriteFileAtomically(path, encoded);
}

}  // namespace sf::vision
