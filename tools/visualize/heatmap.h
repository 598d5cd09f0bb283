// Heatmaps as RGB images: a matrix of weights becomes a block of viridis-coloured square cells,
// and a colour bar shows which colour stands for which value.
//
//   ColorScale scale{.lo = 0.0, .hi = 1.0};
//   at::Tensor image = RenderHeatmap(weights, scale, /*cell=*/8);   // [3, 8 Lq, 8 Lk]
//   at::Tensor bar = RenderColorBar(scale, /*height=*/200, /*width=*/16);
//
// Images are float [3, H, W] with values level / 255, the format vision/png_io.h writes
// exactly. These pictures carry no text: the SVG renderer (heatmap_svg.h) draws the labels.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_H_

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace sf::visualize {

// The value range the colours span: lo is darkest, hi brightest; values outside are clamped.
struct ColorScale {
  double lo = 0.0;
  double hi = 1.0;
};

// weights [Lq, Lk] -> [3, cell * Lq, cell * Lk]; entry (i, j) fills the cell whose top-left
// pixel is (cell * i, cell * j). cell >= 1.
at::Tensor RenderHeatmap(const at::Tensor& weights, const ColorScale& scale, int64_t cell);

// A vertical colour bar [3, height, width]: the top row is scale.hi, the bottom row scale.lo,
// linear in between. height >= 2, width >= 1.
at::Tensor RenderColorBar(const ColorScale& scale, int64_t height, int64_t width);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_H_
