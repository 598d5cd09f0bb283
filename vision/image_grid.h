// Image grids for looking at results: rows of images side by side, e.g. one row per test
// image with the columns original | masked | reconstruction, written as one PNG.
//
// Images are floats in [0, 1] (see png_io.h). Small images (28 x 28) are enlarged by an
// integer factor with nearest-neighbour sampling so single pixels stay visible and sharp, and
// are separated by `padding` pixels of `pad_value` (white by default: Fashion-MNIST and MNIST
// have black backgrounds, against which black padding would vanish).
//
//   GridOptions options{.padding = 2, .scale = 4};
//   absl::Status s = WriteComparisonGrid("grid.png", {originals, masked, filled}, options);
//   // each of the three: [N, 1, 28, 28]; the PNG has N rows and 3 columns of 112 x 112 cells.
#ifndef SCRATCHFORMER_VISION_IMAGE_GRID_H_
#define SCRATCHFORMER_VISION_IMAGE_GRID_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"

namespace sf::vision {

struct GridOptions {
  int64_t padding = 2;     // pixels between cells and around the grid, after upscaling
  int64_t scale = 1;       // nearest-neighbour enlargement factor of every image
  double pad_value = 1.0;  // colour of the padding (all channels)
};

// Repeats every pixel `factor` times along H and W: [..., H, W] -> [..., factor H, factor W].
at::Tensor UpscaleNearest(const at::Tensor& images, int64_t factor);

// images [rows, cols, C, H, W] -> one image [C, rows * (scale H + padding) + padding,
// cols * (scale W + padding) + padding]; cell (r, c) starts at
// (padding + r * (scale H + padding), padding + c * (scale W + padding)).
at::Tensor MakeImageGrid(const at::Tensor& images, const GridOptions& options = {});

// Columns of a comparison: K batches [N, C_k, H, W] (same N, H, W; C_k 1 or 3) -> a grid of N
// rows and K columns. If any column is RGB, grayscale columns are replicated to RGB.
at::Tensor MakeComparisonGrid(const std::vector<at::Tensor>& columns,
                              const GridOptions& options = {});

// MakeComparisonGrid written as a PNG (atomically, see png_io.h).
absl::Status WriteComparisonGrid(const std::string& path, const std::vector<at::Tensor>& columns,
                                 const GridOptions& options = {});

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_IMAGE_GRID_H_
