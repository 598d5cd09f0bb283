#include "tools/visualize/heatmap_svg.h"

#include <algorithm>
#include <cstdint>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tokenization/unicode.h"
#include "tools/visualize/colormap.h"

namespace sf::visualize {
namespace {

constexpr double kMargin = 12.0;
constexpr double kTitleFont = 16.0;
constexpr double kPanelTitleFont = 11.0;
constexpr double kPanelGap = 18.0;
constexpr double kBarWidth = 16.0;
constexpr double kTickFont = 10.0;
// Width of one character of a sans-serif font relative to its size, for reserving label room.
constexpr double kCharWidth = 0.62;

std::string Num(double value) { return absl::StrFormat("%.6g", value); }

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

int CountCodePoints(const std::string& text) {
  return static_cast<int>(
      std::count_if(text.begin(), text.end(), [](char c) { return !IsContinuationByte(c); }));
}

int LongestLabel(const std::vector<std::string>& labels, int max_chars) {
  int longest = 0;
  for (const std::string& label : labels) {
    std::string valid;
    tokenization::ReplaceInvalidUtf8(absl::string_view(label.data(), label.size()), &valid);
    longest = std::max(longest, std::min(CountCodePoints(valid), max_chars));
  }
  return longest;
}

std::string DefaultTickText(double value) { return absl::StrFormat("%.3g", value); }

}  // namespace

std::string EscapeXml(const std::string& text) {
  std::string valid;
  tokenization::ReplaceInvalidUtf8(absl::string_view(text.data(), text.size()), &valid);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          tokenization::AppendUtf8(tokenization::kReplacementCharacter, &out);
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string ShortenLabel(const std::string& label, int max_chars) {
  std::string valid;
  tokenization::ReplaceInvalidUtf8(absl::string_view(label.data(), label.size()), &valid);
  if (max_chars < 1 || CountCodePoints(valid) <= max_chars) return valid;
  int kept = 0;
  size_t end = 0;
  while (end < valid.size()) {
    if (!IsContinuationByte(valid[end])) {
      if (kept == max_chars - 1) break;
      ++kept;
    }
    ++end;
  }
  return valid.substr(0, end) + "\u2026";
}

std::string RenderHeatmapSvg(const HeatmapFigure& figure, const SvgStyle& style) {
  const at::Tensor& weights = figure.weights;
  TORCH_CHECK(weights.defined() && weights.dim() == 4 && weights.numel() > 0,
              "RenderHeatmapSvg expects non-empty weights [rows, cols, Lq, Lk]");
  TORCH_CHECK(style.cell > 0, "SVG cell size must be > 0, got ", style.cell);
  const int64_t rows = weights.size(0), cols = weights.size(1);
  const int64_t len_q = weights.size(2), len_k = weights.size(3);
  TORCH_CHECK(figure.panel_titles.empty() ||
                  static_cast<int64_t>(figure.panel_titles.size()) == rows * cols,
              "expected ", rows * cols, " panel titles, got ", figure.panel_titles.size());
  TORCH_CHECK(figure.query_labels.empty() ||
                  static_cast<int64_t>(figure.query_labels.size()) == len_q,
              "expected ", len_q, " query labels, got ", figure.query_labels.size());
  TORCH_CHECK(figure.key_labels.empty() || static_cast<int64_t>(figure.key_labels.size()) == len_k,
              "expected ", len_k, " key labels, got ", figure.key_labels.size());

  const double cell = style.cell;
  // Token labels as large as the cells allow, never larger than normal text.
  const double label_font = std::min(cell * 0.85, 11.0);
  const double query_room =
      figure.query_labels.empty()
          ? 0.0
          : LongestLabel(figure.query_labels, style.max_label_chars) * label_font * kCharWidth + 4;
  const double key_room =
      figure.key_labels.empty()
          ? 0.0
          : LongestLabel(figure.key_labels, style.max_label_chars) * label_font * kCharWidth + 4;
  const double title_room = figure.panel_titles.empty() ? 0.0 : kPanelTitleFont + 6;
  const double map_w = len_k * cell, map_h = len_q * cell;
  const double panel_w = query_room + map_w, panel_h = title_room + map_h + key_room;
  const double grid_top = kMargin + kTitleFont + 10;
  const double grid_w = cols * panel_w + (cols - 1) * kPanelGap;
  const double grid_h = rows * panel_h + (rows - 1) * kPanelGap;

  // Colour bar: beside the grid, as tall as the grid but at least 120 and at most 400 units.
  const double bar_x = kMargin + grid_w + 2 * kPanelGap;
  const double bar_y = grid_top + title_room;
  const double bar_h = std::clamp(grid_h - title_room - key_room, 120.0, 400.0);
  std::vector<std::pair<double, std::string>> ticks = figure.ticks;
  if (ticks.empty()) {
    for (int k = 0; k <= 4; ++k) {
      const double value = figure.scale.lo + (figure.scale.hi - figure.scale.lo) * k / 4.0;
      ticks.emplace_back(value, DefaultTickText(value));
    }
  }
  int tick_chars = 0;
  for (const auto& tick : ticks) tick_chars = std::max(tick_chars, CountCodePoints(tick.second));
  const double width =
      std::max(bar_x + kBarWidth + 6 + tick_chars * kTickFont * kCharWidth + kTickFont + 8,
               kMargin + CountCodePoints(figure.title) * kTitleFont * kCharWidth) +
      kMargin;
  const double height = std::max(grid_top + grid_h, bar_y + bar_h) + kMargin;

  std::string svg = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", Num(width), "\" height=\"",
      Num(height), "\" viewBox=\"0 0 ", Num(width), " ", Num(height),
      "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
      "<text x=\"", Num(kMargin), "\" y=\"", Num(kMargin + kTitleFont), "\" font-size=\"",
      Num(kTitleFont), "\" font-weight=\"bold\">", EscapeXml(figure.title), "</text>\n");

  const at::Tensor values = weights.detach().to(at::kCPU, at::kDouble).contiguous();
  const double* data = values.data_ptr<double>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const double x0 = kMargin + c * (panel_w + kPanelGap);
      const double y0 = grid_top + r * (panel_h + kPanelGap);
      const double map_x = x0 + query_room, map_y = y0 + title_room;
      absl::StrAppend(&svg, "<g>\n");
      if (!figure.panel_titles.empty()) {
        absl::StrAppend(&svg, "<text x=\"", Num(map_x + map_w / 2), "\" y=\"",
                        Num(y0 + kPanelTitleFont), "\" font-size=\"", Num(kPanelTitleFont),
                        "\" text-anchor=\"middle\">",
                        EscapeXml(figure.panel_titles[r * cols + c]), "</text>\n");
      }
      absl::StrAppend(&svg, "<g transform=\"translate(", Num(map_x), " ", Num(map_y),
                      ")\" shape-rendering=\"crispEdges\">\n");
      const double* panel = data + (r * cols + c) * len_q * len_k;
      for (int64_t i = 0; i < len_q; ++i) {
        for (int64_t j = 0; j < len_k; ++j) {
          const double w = panel[i * len_k + j];
          absl::StrAppend(&svg, "<rect x=\"", Num(j * cell), "\" y=\"", Num(i * cell),
                          "\" width=\"", Num(cell), "\" height=\"", Num(cell), "\" fill=\"",
                          HexColor(Viridis(ScalePosition(w, figure.scale.lo, figure.scale.hi))),
                          "\"/>\n");
        }
      }
      absl::StrAppend(&svg, "</g>\n");
      for (size_t i = 0; i < figure.query_labels.size(); ++i) {
        absl::StrAppend(&svg, "<text x=\"", Num(map_x - 3), "\" y=\"",
                        Num(map_y + (i + 0.5) * cell), "\" font-size=\"", Num(label_font),
                        "\" text-anchor=\"end\" dominant-baseline=\"central\" "
                        "xml:space=\"preserve\">",
                        EscapeXml(ShortenLabel(figure.query_labels[i], style.max_label_chars)),
                        "</text>\n");
      }
      for (size_t j = 0; j < figure.key_labels.size(); ++j) {
        const double x = map_x + (j + 0.5) * cell, y = map_y + map_h + 3;
        absl::StrAppend(&svg, "<text transform=\"translate(", Num(x), " ", Num(y),
                        ") rotate(-90)\" font-size=\"", Num(label_font),
                        "\" text-anchor=\"end\" dominant-baseline=\"central\" "
                        "xml:space=\"preserve\">",
                        EscapeXml(ShortenLabel(figure.key_labels[j], style.max_label_chars)),
                        "</text>\n");
      }
      absl::StrAppend(&svg, "</g>\n");
    }
  }

  // The bar is a gradient through the colour map's own stops, high at the top.
  absl::StrAppend(&svg, "<defs><linearGradient id=\"colorbar\" x1=\"0\" y1=\"1\" x2=\"0\" "
                        "y2=\"0\">\n");
  for (int k = 0; k <= 32; ++k) {
    absl::StrAppend(&svg, "<stop offset=\"", Num(k / 32.0), "\" stop-color=\"",
                    HexColor(Viridis(k / 32.0)), "\"/>\n");
  }
  absl::StrAppend(&svg, "</linearGradient></defs>\n", "<rect x=\"", Num(bar_x), "\" y=\"",
                  Num(bar_y), "\" width=\"", Num(kBarWidth), "\" height=\"", Num(bar_h),
                  "\" fill=\"url(#colorbar)\" stroke=\"#444444\" stroke-width=\"0.5\"/>\n");
  for (const auto& [value, text] : ticks) {
    const double y = bar_y + bar_h * (1.0 - ScalePosition(value, figure.scale.lo, figure.scale.hi));
    absl::StrAppend(&svg, "<line x1=\"", Num(bar_x + kBarWidth), "\" y1=\"", Num(y), "\" x2=\"",
                    Num(bar_x + kBarWidth + 4), "\" y2=\"", Num(y),
                    "\" stroke=\"#444444\" stroke-width=\"0.8\"/>\n", "<text x=\"",
                    Num(bar_x + kBarWidth + 6), "\" y=\"", Num(y), "\" font-size=\"",
                    Num(kTickFont), "\" dominant-baseline=\"central\">", EscapeXml(text),
                    "</text>\n");
  }
  const double label_x = bar_x + kBarWidth + 6 + tick_chars * kTickFont * kCharWidth + 6;
  absl::StrAppend(&svg, "<text transform=\"translate(", Num(label_x + kTickFont / 2), " ",
                  Num(bar_y + bar_h / 2), ") rotate(90)\" font-size=\"", Num(kTickFont),
                  "\" text-anchor=\"middle\">", EscapeXml(figure.scale_label), "</text>\n",
                  "</svg>\n");
  return svg;
}

}  // namespace sf::visualize
