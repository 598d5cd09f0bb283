// One PNG for a whole model: the attention heatmaps of every layer (rows) and head (columns),
// on white, with a colour bar down the right-hand side.
//
//   at::Tensor weights = ...;                            // [layers, heads, Lq, Lk]
//   HeatmapGridStyle style{.cell = 4};
//   absl::Status s = WriteHeatmapGridPng("attention.png", weights, style);
//
// Layout (pixels): panel (r, c) starts at (padding + r * (cell Lq + padding),
// padding + c * (cell Lk + padding)), as in vision/image_grid.h; then a gap of `padding`, the
// colour bar (`colorbar_width` wide, inset by `padding` at top and bottom) and a right margin
// of `padding`. Labels are drawn only in the SVG version (heatmap_svg.h).
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_GRID_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_GRID_H_

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "tools/visualize/heatmap.h"

namespace sf::visualize {

struct HeatmapGridStyle {
  int64_t cell = 8;            // pixels per weight, each side
  int64_t padding = 6;         // white pixels between and around panels
  int64_t colorbar_width = 16;
  ColorScale scale;
};

// weights [rows, cols, Lq, Lk] -> RGB [3, H, W] laid out as described above.
at::Tensor ComposeHeatmapGrid(const at::Tensor& weights, const HeatmapGridStyle& style);

// ComposeHeatmapGrid written as a PNG (atomically, see vision/png_io.h).
absl::Status WriteHeatmapGridPng(const std::string& path, const at::Tensor& weights,
                                 const HeatmapGridStyle& style);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_GRID_H_
