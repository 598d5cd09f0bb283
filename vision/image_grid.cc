#include "vision/image_grid.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "vision/png_io.h"

namespace sf::vision {

at::Tensor UpscaleNearest(const at::Tensor& images, int64_t factor) {
  TORCH_CHECK(factor >= 1, "upscaling factor must be >= 1, got ", factor);
  TORCH_CHECK(images.dim() >= 2, "UpscaleNearest needs [..., H, W], got ", images.sizes());
  if (factor == 1) return images;
  return images.repeat_interleave(factor, -2).repeat_interleave(factor, -1);
}

at::Tensor MakeImageGrid(const at::Tensor& images, const GridOptions& options) {
  TORCH_CHECK(images.dim() == 5, "MakeImageGrid expects [rows, cols, C, H, W], got ",
              images.sizes());
  TORCH_CHECK(options.padding >= 0, "grid padding must be >= 0, got ", options.padding);
  const int64_t rows = images.size(0), cols = images.size(1), channels = images.size(2);
  const at::Tensor cells = UpscaleNearest(images, options.scale);
  const int64_t cell_h = cells.size(3), cell_w = cells.size(4), pad = options.padding;
  at::Tensor grid = at::full({channels, rows * (cell_h + pad) + pad, cols * (cell_w + pad) + pad},
                             options.pad_value, images.options());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t top = pad + r * (cell_h + pad), left = pad + c * (cell_w + pad);
      grid.slice(1, top, top + cell_h).slice(2, left, left + cell_w).copy_(cells[r][c]);
    }
  }
  return grid;
}

at::Tensor MakeComparisonGrid(const std::vector<at::Tensor>& columns, const GridOptions& options) {
  TORCH_CHECK(!columns.empty(), "MakeComparisonGrid needs at least one column");
  int64_t channels = 1;
  for (size_t k = 0; k < columns.size(); ++k) {
    const at::Tensor& column = columns[k];
    TORCH_CHECK(column.dim() == 4 && (column.size(1) == 1 || column.size(1) == 3),
                "column ", k, " must be [N, 1 or 3, H, W], got ", column.sizes());
    TORCH_CHECK(column.size(0) == columns[0].size(0) && column.size(2) == columns[0].size(2) &&
                    column.size(3) == columns[0].size(3),
                "column ", k, " is ", column.sizes(), " but column 0 is ", columns[0].sizes());
    channels = std::max(channels, column.size(1));
  }
  std::vector<at::Tensor> expanded;
  for (const at::Tensor& column : columns) {
    at::Tensor c = column.detach().cpu().to(at::kFloat);
    expanded.push_back(c.size(1) == channels ? c : c.expand({-1, channels, -1, -1}));
  }
  return MakeImageGrid(at::stack(expanded, 1), options);
}

absl::Status WriteComparisonGrid(const std::string& path, const std::vector<at::Tensor>& columns,
                                 const GridOptions& options) {
  return WritePng(path, MakeComparisonGrid(columns, options));
}

}  // namespace sf::vision
