#include "tools/visualize/heatmap.h"

#include <ATen/ATen.h>

#include "tools/visualize/colormap.h"
#include "vision/image_grid.h"

namespace sf::visualize {

at::Tensor RenderHeatmap(const at::Tensor& weights, const ColorScale& scale, int64_t cell) {
  TORCH_CHECK(weights.dim() == 2, "RenderHeatmap expects [Lq, Lk], got ", weights.sizes());
  TORCH_CHECK(cell >= 1, "heatmap cell size must be >= 1, got ", cell);
  return vision::UpscaleNearest(ViridisImage(weights, scale.lo, scale.hi), cell);
}

at::Tensor RenderColorBar(const ColorScale& scale, int64_t height, int64_t width) {
  TORCH_CHECK(height >= 2 && width >= 1, "colour bar must be at least 2 x 1, got ", height, " x ",
              width);
  const at::Tensor values =
      at::linspace(scale.hi, scale.lo, height, at::kDouble).unsqueeze(1).expand({height, width});
  return ViridisImage(values, scale.lo, scale.hi);
}

}  // namespace sf::visualize
