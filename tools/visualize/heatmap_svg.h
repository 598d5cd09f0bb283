// Heatmap figures as SVG: a grid of panels (one per layer and head, or one per mask kind),
// each with its title, the query labels down its left side and the key labels under it, a
// figure title, and a colour bar with tick values. Text stays text, so a reader can zoom in on
// tokens and search them; the PNG version (heatmap_grid.h) carries only the pixels.
//
//   HeatmapFigure figure;
//   figure.title = "IMDB classifier: attention";
//   figure.weights = weights;                       // [layers, heads, L, L]
//   figure.panel_titles = {"layer 0 head 0", ...};  // layers * heads, row-major
//   figure.query_labels = figure.key_labels = tokens;
//   std::string svg = RenderHeatmapSvg(figure, /*cell=*/12);
//
// Every cell is a <rect> whose fill is HexColor(Viridis(ScalePosition(w, lo, hi))), the very
// colour the PNG gets. Labels are escaped for XML; invalid UTF-8 becomes U+FFFD and labels
// longer than `max_label_chars` code points are cut with an ellipsis.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_SVG_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "tools/visualize/heatmap.h"

namespace sf::visualize {

struct HeatmapFigure {
  std::string title;
  at::Tensor weights;                     // [rows, cols, Lq, Lk]
  std::vector<std::string> panel_titles;  // rows * cols (row-major), or empty
  std::vector<std::string> query_labels;  // Lq, or empty for no labels
  std::vector<std::string> key_labels;    // Lk, or empty for no labels
  ColorScale scale;
  std::string scale_label = "attention weight";
  // Colour-bar ticks (value, text); empty means five evenly spaced values from lo to hi.
  std::vector<std::pair<double, std::string>> ticks;
};

struct SvgStyle {
  double cell = 12.0;         // user units per weight, each side
  int max_label_chars = 12;   // longer labels are cut
};

// The whole figure as an SVG document. Mismatched label or title counts are programmer errors
// (c10::Error).
std::string RenderHeatmapSvg(const HeatmapFigure& figure, const SvgStyle& style = {});

// Escapes &, <, >, " and ' for XML text and attributes, replaces invalid UTF-8 with U+FFFD and
// control characters with U+FFFD too (XML 1.0 forbids most of them).
std::string EscapeXml(const std::string& text);

// `label` cut to at most `max_chars` code points, the last being "…" when it was cut.
std::string ShortenLabel(const std::string& label, int max_chars);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_HEATMAP_SVG_H_
