// Pictures of attention: the masks of attention/masks.h, or the attention weights of a trained
// IMDB classifier or WikiText language model on a text of your choice.
//
//   bazel run //tools:visualize_attention -- --mode=patterns --length=24 --window=3
//       --global_tokens=0,12 --out_dir=viz                        (one command line)
//   bazel run //tools:visualize_attention -- --mode=model --task=imdb
//       --checkpoint=runs/imdb/checkpoints/best.sfckpt --text="A wonderful, moving film."
//       --out_dir=viz                                             (one command line)
//
// patterns: writes <out_dir>/mask_patterns.{png,svg,json}, one panel per mask kind (no mask,
//   causal, sliding window, causal window, global tokens, padding, and combinations).
// model: writes <out_dir>/attention.{png,svg,json}, one panel per layer (rows) and head
//   (columns) with the tokens on both axes, and the per-head statistics (entropy, mean
//   attention distance, share of weight on special tokens) as <out_dir>/head_stats.{csv,md},
//   also printed.
// The SVG files carry all the text (titles, tokens, colour-bar values); the PNG files hold
// the same cells and colour bar without text. Rows are queries, columns keys.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "tools/visualize/figure_files.h"
#include "tools/visualize/head_stats.h"
#include "tools/visualize/heatmap_svg.h"
#include "tools/visualize/mask_patterns.h"
#include "tools/visualize/model_attention.h"
#include "training/file_io.h"

ABSL_FLAG(std::string, mode, "patterns", "patterns (mask kinds) or model (a checkpoint's attention).");
ABSL_FLAG(std::string, out_dir, "attention_viz", "Directory the pictures and tables go to.");
ABSL_FLAG(int64_t, png_cell, 0, "PNG pixels per attention weight (0: fit a panel in ~256 px).");
ABSL_FLAG(double, svg_cell, 0.0, "SVG units per attention weight (0: fit a panel in ~400 units).");
ABSL_FLAG(int64_t, length, 16, "patterns: sequence length.");
ABSL_FLAG(int64_t, window, 2, "patterns: sliding window, keys on each side of the query.");
ABSL_FLAG(std::vector<std::string>, global_tokens, {"0"},
          "patterns: comma-separated global token positions.");
ABSL_FLAG(int64_t, valid_length, 0,
          "patterns: keys that are not padding (0: three quarters of --length).");
ABSL_FLAG(std::string, task, "imdb", "model: the task that wrote the checkpoint, imdb or wiki.");
ABSL_FLAG(std::string, checkpoint, "", "model: the checkpoint (.sfckpt) to load.");
ABSL_FLAG(std::string, text, "", "model: the text to run the model on.");

namespace sf::visualize {
namespace {

// Upper bounds on the cell flags: larger cells only blow up the pictures (a PNG cell of 2000
// px makes a 16-token panel 32000 px wide).
constexpr int64_t kMaxPngCell = 64;
constexpr double kMaxSvgCell = 100.0;

absl::Status CheckCellFlags() {
  const int64_t png_cell = absl::GetFlag(FLAGS_png_cell);
  if (png_cell < 0 || png_cell > kMaxPngCell) {
    return absl::InvalidArgumentError(absl::StrCat("--png_cell must be in [0, ", kMaxPngCell,
                                                   "] (0: automatic), got ", png_cell));
  }
  const double svg_cell = absl::GetFlag(FLAGS_svg_cell);
  if (!(svg_cell >= 0.0 && svg_cell <= kMaxSvgCell)) {
    return absl::InvalidArgumentError(absl::StrCat("--svg_cell must be in [0, ", kMaxSvgCell,
                                                   "] (0: automatic), got ", svg_cell));
  }
  return absl::OkStatus();
}

int64_t PngCell(int64_t length) {
  const int64_t flag = absl::GetFlag(FLAGS_png_cell);
  return flag > 0 ? flag : std::clamp<int64_t>(256 / length, 1, 32);
}

double SvgCell(int64_t length) {
  const double flag = absl::GetFlag(FLAGS_svg_cell);
  return flag > 0 ? flag : std::clamp(400.0 / length, 2.0, 20.0);
}

std::vector<std::string> PositionLabels(int64_t length) {
  std::vector<std::string> labels;
  for (int64_t i = 0; i < length; ++i) labels.push_back(absl::StrCat(i));
  return labels;
}

void PrintFiles(const FigureFiles& files) {
  std::cout << "wrote " << files.png << "\n      " << files.svg << "\n      " << files.json
            << "\n";
}

absl::Status RunPatterns(const std::string& out_dir) {
  MaskPatternOptions options;
  options.length = absl::GetFlag(FLAGS_length);
  options.window = absl::GetFlag(FLAGS_window);
  options.global_tokens.clear();
  for (const std::string& item : absl::GetFlag(FLAGS_global_tokens)) {
    int64_t position = 0;
    if (!absl::SimpleAtoi(item, &position)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--global_tokens: \"", item, "\" is not an integer"));
    }
    options.global_tokens.push_back(position);
  }
  options.valid_length = absl::GetFlag(FLAGS_valid_length);
  if (options.valid_length == 0) options.valid_length = std::max<int64_t>(1, options.length * 3 / 4);
  absl::StatusOr<std::vector<MaskPattern>> patterns = BuildMaskPatterns(options);
  if (!patterns.ok()) return patterns.status();

  const int64_t cols = 3, rows = (static_cast<int64_t>(patterns->size()) + cols - 1) / cols;
  HeatmapFigure figure;
  figure.title = absl::StrCat("Attention masks, length ", options.length,
                              " (rows: queries, columns: keys)");
  figure.weights = at::zeros({rows, cols, options.length, options.length}, at::kFloat);
  for (size_t k = 0; k < patterns->size(); ++k) {
    figure.weights[k / cols][k % cols].copy_((*patterns)[k].allowed);
    figure.panel_titles.push_back((*patterns)[k].name);
  }
  figure.panel_titles.resize(rows * cols);
  figure.query_labels = figure.key_labels = PositionLabels(options.length);
  figure.scale_label = "mask";
  figure.ticks = {{0.0, "blocked"}, {1.0, "allowed"}};
  absl::StatusOr<FigureFiles> files =
      WriteHeatmapFigure(absl::StrCat(out_dir, "/mask_patterns"), figure,
                         {.cell = PngCell(options.length)}, {.cell = SvgCell(options.length)});
  if (!files.ok()) return files.status();
  for (const MaskPattern& p : *patterns) {
    std::cout << p.name << ": " << p.allowed.sum().item<int64_t>() << " of "
              << p.allowed.numel() << " query-key pairs allowed\n";
  }
  PrintFiles(*files);
  return absl::OkStatus();
}

absl::Status RunModel(const std::string& out_dir) {
  absl::StatusOr<ModelTask> task = ParseModelTask(absl::GetFlag(FLAGS_task));
  if (!task.ok()) return task.status();
  if (absl::GetFlag(FLAGS_checkpoint).empty()) {
    return absl::InvalidArgumentError("--mode=model needs --checkpoint=<path to .sfckpt>");
  }
  const std::string checkpoint = runtime::ResolveUserPath(absl::GetFlag(FLAGS_checkpoint));
  absl::StatusOr<ModelAttention> attention =
      ComputeModelAttention(*task, checkpoint, absl::GetFlag(FLAGS_text));
  if (!attention.ok()) return attention.status();
  const int64_t layers = attention->weights.size(0), heads = attention->weights.size(1);
  const int64_t length = attention->weights.size(2);
  std::cout << attention->summary << "\n" << length << " tokens (at most "
            << attention->max_length << ")\n";

  HeatmapFigure figure;
  figure.title = absl::StrCat(attention->summary, ": \"",
                              ShortenLabel(absl::GetFlag(FLAGS_text), 60), "\"");
  figure.weights = attention->weights;
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t h = 0; h < heads; ++h) {
      figure.panel_titles.push_back(absl::StrCat("layer ", l, " \u00b7 head ", h));
    }
  }
  figure.query_labels = figure.key_labels = attention->tokens;
  // The brightest colour goes to the largest weight present: attention rarely reaches 1.
  figure.scale = {.lo = 0.0, .hi = std::max(attention->weights.max().item<double>(), 1e-6)};
  absl::StatusOr<FigureFiles> files =
      WriteHeatmapFigure(absl::StrCat(out_dir, "/attention"), figure, {.cell = PngCell(length)},
                         {.cell = SvgCell(length)});
  if (!files.ok()) return files.status();

  std::vector<HeadStats> stats;
  for (int64_t l = 0; l < layers; ++l) {
    for (const HeadStats& s : ComputeHeadStats(attention->weights[l], attention->special, l)) {
      stats.push_back(s);
    }
  }
  const std::string csv = absl::StrCat(out_dir, "/head_stats.csv");
  const std::string markdown = absl::StrCat(out_dir, "/head_stats.md");
  if (absl::Status s = training::WriteFileAtomically(csv, HeadStatsCsv(stats)); !s.ok()) return s;
  if (absl::Status s = training::WriteFileAtomically(markdown, HeadStatsMarkdown(stats)); !s.ok()) {
    return s;
  }
  std::cout << "\n" << FormatHeadStatsTable(stats) << "\n";
  PrintFiles(*files);
  std::cout << "      " << csv << "\n      " << markdown << "\n";
  return absl::OkStatus();
}

int Run() {
  if (absl::Status s = runtime::ConfigureRuntime(runtime::RuntimeOptionsFromFlags()); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cerr << runtime::RuntimeBanner() << "\n";
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const std::string out_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_out_dir));
  absl::Status status = CheckCellFlags();
  if (status.ok() && mode != "patterns" && mode != "model") {
    status = absl::InvalidArgumentError(
        absl::StrCat("--mode must be patterns or model, got \"", mode, "\""));
  }
  if (status.ok()) status = training::CreateDirectories(out_dir);
  try {
    if (status.ok()) status = mode == "patterns" ? RunPatterns(out_dir) : RunModel(out_dir);
  } catch (const c10::Error& e) {
    status = absl::InternalError(e.what_without_backtrace());
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sf::visualize

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Draws attention masks (--mode=patterns) or a checkpoint's attention weights on a text "
      "(--mode=model --task=imdb|wiki --checkpoint=... --text=...) as PNG, SVG and JSON.");
  absl::ParseCommandLine(argc, argv);
  return sf::visualize::Run();
}
