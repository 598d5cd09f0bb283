// One heatmap figure written three ways: `<prefix>.png` (pixels and colour bar),
// `<prefix>.svg` (the same cells with titles, token labels and a labelled colour bar) and
// `<prefix>.json` (the raw weights with their labels, for anyone who wants to re-plot them).
//
//   absl::StatusOr<FigureFiles> files = WriteHeatmapFigure("out/attention", figure,
//                                                          {.cell = 4}, {.cell = 10});
//   // files->png == "out/attention.png", ...
//
// JSON layout: {"title", "shape": [rows, cols, Lq, Lk], "panel_titles", "query_labels",
// "key_labels", "scale": {"lo", "hi", "label"}, "weights": rows x cols x Lq x Lk numbers}.
// Every file is written atomically (training/file_io.h, vision/png_io.h); errors name the path.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_FIGURE_FILES_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_FIGURE_FILES_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "tools/visualize/heatmap_grid.h"
#include "tools/visualize/heatmap_svg.h"

namespace sf::visualize {

struct FigureFiles {
  std::string png;
  std::string svg;
  std::string json;
};

// The JSON document described above.
nlohmann::json HeatmapFigureJson(const HeatmapFigure& figure);

// Writes the three files; the PNG uses png_style's cell, padding and bar width with the
// figure's colour scale.
absl::StatusOr<FigureFiles> WriteHeatmapFigure(const std::string& prefix,
                                               const HeatmapFigure& figure,
                                               const HeatmapGridStyle& png_style,
                                               const SvgStyle& svg_style);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_FIGURE_FILES_H_
