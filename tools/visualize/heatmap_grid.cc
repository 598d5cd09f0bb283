#include "tools/visualize/heatmap_grid.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "tools/visualize/colormap.h"
#include "vision/image_grid.h"
#include "vision/png_io.h"

namespace sf::visualize {

at::Tensor ComposeHeatmapGrid(const at::Tensor& weights, const HeatmapGridStyle& style) {
  TORCH_CHECK(weights.dim() == 4, "ComposeHeatmapGrid expects [rows, cols, Lq, Lk], got ",
              weights.sizes());
  TORCH_CHECK(weights.numel() > 0, "ComposeHeatmapGrid got no weights: ", weights.sizes());
  TORCH_CHECK(style.cell >= 1 && style.padding >= 0 && style.colorbar_width >= 1,
              "bad grid style: cell ", style.cell, ", padding ", style.padding,
              ", colour bar width ", style.colorbar_width);
  // [3, rows, cols, Lq, Lk] -> [rows, cols, 3, Lq, Lk], the layout MakeImageGrid takes.
  const at::Tensor panels =
      ViridisImage(weights, style.scale.lo, style.scale.hi).permute({1, 2, 0, 3, 4});
  const at::Tensor grid = vision::MakeImageGrid(
      panels, {.padding = style.padding, .scale = style.cell, .pad_value = 1.0});
  const int64_t height = grid.size(1), pad = style.padding;
  const int64_t bar_height = std::max<int64_t>(height - 2 * pad, 2);
  at::Tensor column = at::ones({3, std::max(height, bar_height), style.colorbar_width}, at::kFloat);
  column.slice(1, pad, pad + bar_height)
      .copy_(RenderColorBar(style.scale, bar_height, style.colorbar_width));
  at::Tensor framed_grid = grid;
  if (column.size(1) > height) {
    framed_grid = at::cat({grid, at::ones({3, column.size(1) - height, grid.size(2)})}, 1);
  }
  const at::Tensor gap = at::ones({3, column.size(1), pad}, at::kFloat);
  return at::cat({framed_grid, gap, column, gap}, 2);
}

absl::Status WriteHeatmapGridPng(const std::string& path, const at::Tensor& weights,
                                 const HeatmapGridStyle& style) {
  return vision::WritePng(path, ComposeHeatmapGrid(weights, style));
}

}  // namespace sf::visualize
