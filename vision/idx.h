// Readers for IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST, gzip-compressed
// or plain (zlib reads both transparently, so `foo-ubyte.gz` and `foo-ubyte` are both fine).
//
// Only the two layouts these data sets use are accepted: unsigned-byte images with three
// dimensions (magic 0x00000803: count, rows, columns) and unsigned-byte labels with one
// dimension (magic 0x00000801). Anything else (another magic, a zero dimension, a file shorter
// or longer than its header says, a corrupt gzip stream) is an error naming the path and the
// offending value, never a silently short tensor. The header is read and checked first and
// then only the payload it describes, plus at most 1 MiB to measure any excess, so a small gzip
// file that inflates to gigabytes is rejected without being inflated.
//
//   absl::StatusOr<at::Tensor> images =
//       sf::vision::ReadIdxImages("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
//   // float [10000, 1, 28, 28] in [0, 1]
//   absl::StatusOr<at::Tensor> labels =
//       sf::vision::ReadIdxLabels("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
//   // int64 [10000]
#ifndef SCRATCHFORMER_VISION_IDX_H_
#define SCRATCHFORMER_VISION_IDX_H_

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::vision {

// Magic numbers: two zero bytes, the element type (0x08 = unsigned byte), the dimension count.
inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// Images [count, rows, cols] of bytes as a float tensor [count, 1, rows, cols], value / 255.
absl::StatusOr<at::Tensor> ReadIdxImages(const std::string& path);

// Labels [count] of bytes as an int64 tensor [count].
absl::StatusOr<at::Tensor> ReadIdxLabels(const std::string& path);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_IDX_H_
