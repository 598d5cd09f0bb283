// Viridis, the colour map of every heatmap this tool draws: perceptually uniform (equal steps in
// value look like equal steps in colour), monotonic in lightness so it survives grey-scale
// printing, and readable by colour-blind readers.
//
//   sf::visualize::Rgb c = sf::visualize::Viridis(0.5);       // {33, 145, 140}
//   std::string hex = sf::visualize::HexColor(c);              // "#21918c"
//   at::Tensor rgb = sf::visualize::ViridisImage(weights, /*lo=*/0.0, /*hi=*/1.0);
//
// The colours are matplotlib's 256-entry viridis table (van der Walt, Smith and Firing, CC0)
// sampled at every 16th entry (and entries 248 and 255); between those anchors the map
// interpolates linearly, which stays within two 8-bit levels of the full table.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_COLORMAP_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_COLORMAP_H_

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace sf::visualize {

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
  bool operator==(const Rgb& other) const {
    return r == other.r && g == other.g && b == other.b;
  }
};

// The colour of `t` in [0, 1]: 0 is dark purple (#440154), 1 is yellow (#fde725). Values
// outside are clamped and NaN maps to 0, so a stray value never breaks a picture.
Rgb Viridis(double t);

// "#rrggbb", lower case.
std::string HexColor(Rgb color);

// Where `value` falls on the scale [lo, hi], clamped to [0, 1]; 0 when hi <= lo.
double ScalePosition(double value, double lo, double hi);

// values [...] (any real dtype) -> float [3, ...] with channel values level / 255, each entry
// coloured Viridis(ScalePosition(value, lo, hi)).
at::Tensor ViridisImage(const at::Tensor& values, double lo, double hi);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_COLORMAP_H_
