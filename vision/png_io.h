// PNG files <-> image tensors [C, H, W] of floats in [0, 1], through Debian's libpng16.
//
// Reading accepts every PNG libpng reads: grayscale, RGB, palette, with or without alpha,
// 1 to 16 bits, interlaced or not. Pixels come back as 8-bit values / 255 (16-bit samples keep
// their high byte); an alpha channel is dropped, not composited, since the images this project
// handles are opaque. Writing produces an 8-bit grayscale (C = 1) or RGB (C = 3) PNG and is
// atomic (training::WriteFileAtomically): the file is written under a temporary name in the
// target directory and renamed over `path` only when complete, so a reader never sees a
// half-written image; a symbolic link is followed and kept, a pipe or device written directly.
//
//   absl::StatusOr<at::Tensor> image =
//       sf::vision::ReadPng("shirt.png", sf::vision::PngChannels::kGray);   // [1, H, W]
//   absl::Status written = sf::vision::WritePng("out.png", *image);
//
// A uint8 value v survives WritePng -> ReadPng exactly: v / 255 -> round(255 * (v / 255)) = v.
#ifndef SCRATCHFORMER_VISION_PNG_IO_H_
#define SCRATCHFORMER_VISION_PNG_IO_H_

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sf::vision {

enum class PngChannels {
  kAsStored,  // 1 channel for grayscale files, 3 for colour ones (RGB, RGBA, palette)
  kGray,      // 1 channel; colour converted with the luma weights (0.2126, 0.7152, 0.0722)
              // applied to the stored 8-bit values, whatever gAMA, sRGB or cHRM chunk the file
              // has, and rounded to the nearest level
  kRgb,       // 3 channels; grayscale replicated
};

// Reads `path`. NotFound / PermissionDenied when it cannot be opened, InvalidArgument when it
// is not a PNG, DataLoss when it is truncated (the message says so) or corrupt; every message
// names the path.
// The largest image ReadPng accepts (8192 x 8192): a header claiming more is an error, since
// the pixels are allocated from the header before any are read.
inline constexpr uint64_t kMaxPngPixels = uint64_t{1} << 26;

absl::StatusOr<at::Tensor> ReadPng(const std::string& path,
                                   PngChannels channels = PngChannels::kAsStored);

// Writes `image`, [C, H, W] or [H, W] with C = 1 or 3, as an 8-bit PNG. Floating-point values
// are clamped to [0, 1] (NaN becomes 0) and rounded to the nearest of the 256 levels; a uint8
// tensor is written as is. Bad shapes or dtypes are programmer errors (c10::Error); failures to
// create, write or rename the file return an error naming the path.
absl::Status WritePng(const std::string& path, const at::Tensor& image);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_PNG_IO_H_
