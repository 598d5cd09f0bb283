#include "tools/visualize/figure_files.h"

#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tokenization/unicode.h"
#include "training/file_io.h"

namespace sf::visualize {

nlohmann::json HeatmapFigureJson(const HeatmapFigure& figure) {
  TORCH_CHECK(figure.weights.defined() && figure.weights.dim() == 4,
              "a heatmap figure needs weights [rows, cols, Lq, Lk]");
  const at::Tensor values = figure.weights.detach().to(at::kCPU, at::kDouble).contiguous();
  const double* data = values.data_ptr<double>();
  const int64_t rows = values.size(0), cols = values.size(1);
  const int64_t len_q = values.size(2), len_k = values.size(3);
  nlohmann::json weights = nlohmann::json::array();
  for (int64_t r = 0; r < rows; ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (int64_t c = 0; c < cols; ++c) {
      nlohmann::json panel = nlohmann::json::array();
      for (int64_t i = 0; i < len_q; ++i) {
        const double* begin = data + ((r * cols + c) * len_q + i) * len_k;
        panel.push_back(std::vector<double>(begin, begin + len_k));
      }
      row.push_back(std::move(panel));
    }
    weights.push_back(std::move(row));
  }
  // Labels may hold invalid UTF-8 (byte-level tokens cut mid-character), which JSON cannot.
  const auto valid = [](const std::string& text) {
    std::string out;
    tokenization::ReplaceInvalidUtf8(absl::string_view(text.data(), text.size()), &out);
    return out;
  };
  const auto clean = [&valid](const std::vector<std::string>& labels) {
    std::vector<std::string> out;
    for (const std::string& label : labels) out.push_back(valid(label));
    return out;
  };
  return {{"title", valid(figure.title)},
          {"shape", {rows, cols, len_q, len_k}},
          {"panel_titles", clean(figure.panel_titles)},
          {"query_labels", clean(figure.query_labels)},
          {"key_labels", clean(figure.key_labels)},
          {"scale", {{"lo", figure.scale.lo}, {"hi", figure.scale.hi},
                     {"label", valid(figure.scale_label)}}},
          {"weights", std::move(weights)}};
}

absl::StatusOr<FigureFiles> WriteHeatmapFigure(const std::string& prefix,
                                               const HeatmapFigure& figure,
                                               const HeatmapGridStyle& png_style,
                                               const SvgStyle& svg_style) {
  FigureFiles files{prefix + ".png", prefix + ".svg", prefix + ".json"};
  HeatmapGridStyle style = png_style;
  style.scale = figure.scale;
  if (absl::Status s = WriteHeatmapGridPng(files.png, figure.weights, style); !s.ok()) return s;
  if (absl::Status s = training::WriteFileAtomically(files.svg, RenderHeatmapSvg(figure, svg_style));
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          training::WriteFileAtomically(files.json, HeatmapFigureJson(figure).dump() + "\n");
      !s.ok()) {
    return s;
  }
  return files;
}

}  // namespace sf::visualize
