#include "tools/visualize/colormap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include <ATen/ATen.h>

namespace sf::visualize {
namespace {

struct Anchor {
  double position;  // table index / 255
  double r, g, b;   // in [0, 1]
};

// matplotlib viridis entries 0, 16, ..., 240, then 248 and 255 where blue turns back up.
constexpr std::array<Anchor, 18> kViridisAnchors = {{
    {0.0 / 255, 0.267004, 0.004874, 0.329415},
    {16.0 / 255, 0.282327, 0.094955, 0.417331},
    {32.0 / 255, 0.278826, 0.175490, 0.483397},
    {48.0 / 255, 0.258965, 0.251537, 0.524736},
    {64.0 / 255, 0.229739, 0.322361, 0.545706},
    {80.0 / 255, 0.199430, 0.387607, 0.554642},
    {96.0 / 255, 0.172719, 0.448791, 0.557885},
    {112.0 / 255, 0.149039, 0.508051, 0.557250},
    {128.0 / 255, 0.127568, 0.566949, 0.550556},
    {144.0 / 255, 0.120638, 0.625828, 0.533488},
    {160.0 / 255, 0.157851, 0.683765, 0.501686},
    {176.0 / 255, 0.246070, 0.738910, 0.452024},
    {192.0 / 255, 0.369214, 0.788888, 0.382914},
    {208.0 / 255, 0.515992, 0.831158, 0.294279},
    {224.0 / 255, 0.678489, 0.863742, 0.189503},
    {240.0 / 255, 0.845561, 0.887322, 0.099702},
    {248.0 / 255, 0.926106, 0.897330, 0.104071},
    {255.0 / 255, 0.993248, 0.906157, 0.143936},
}};

uint8_t ToLevel(double channel) {
  return static_cast<uint8_t>(std::lround(std::clamp(channel, 0.0, 1.0) * 255.0));
}

}  // namespace

Rgb Viridis(double t) {
  if (!(t > 0.0)) t = 0.0;  // also catches NaN
  if (t > 1.0) t = 1.0;
  size_t upper = 1;
  while (upper + 1 < kViridisAnchors.size() && kViridisAnchors[upper].position < t) ++upper;
  const Anchor& a = kViridisAnchors[upper - 1];
  const Anchor& b = kViridisAnchors[upper];
  const double f = std::clamp((t - a.position) / (b.position - a.position), 0.0, 1.0);
  return Rgb{ToLevel(a.r + f * (b.r - a.r)), ToLevel(a.g + f * (b.g - a.g)),
             ToLevel(a.b + f * (b.b - a.b))};
}

std::string HexColor(Rgb color) {
  char text[8];
  std::snprintf(text, sizeof(text), "#%02x%02x%02x", color.r, color.g, color.b);
  return text;
}

double ScalePosition(double value, double lo, double hi) {
  if (!(hi > lo) || std::isnan(value)) return 0.0;
  return std::clamp((value - lo) / (hi - lo), 0.0, 1.0);
}

at::Tensor ViridisImage(const at::Tensor& values, double lo, double hi) {
  TORCH_CHECK(!values.is_complex(),
              "ViridisImage needs real values, got ", values.scalar_type());
  const at::Tensor flat = values.detach().to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  const int64_t n = flat.numel();
  at::Tensor out = at::empty({3, n}, at::kFloat);
  const double* in = flat.data_ptr<double>();
  float* red = out.data_ptr<float>();
  float* green = red + n;
  float* blue = green + n;
  for (int64_t k = 0; k < n; ++k) {
    const Rgb c = Viridis(ScalePosition(in[k], lo, hi));
    red[k] = c.r / 255.0f;
    green[k] = c.g / 255.0f;
    blue[k] = c.b / 255.0f;
  }
  std::vector<int64_t> shape = {3};
  for (int64_t size : values.sizes()) shape.push_back(size);
  return out.reshape(shape);
}

}  // namespace sf::visualize
