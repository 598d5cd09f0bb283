#include "tasks/inpainting/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vision/baselines.h"
#include "vision/image_grid.h"

namespace sf::tasks::inpainting {
namespace {

// Hole figures are NaN when no image had a hole (vision/metrics.h): n/a, null or an empty CSV
// field, not a number that reads as a score.
std::string HoleText(const char* format, double value) {
  return std::isnan(value) ? std::string("n/a") : absl::StrFormat(format, value);
}

nlohmann::json HoleJson(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

std::vector<Method> ClassicalBaselines(const at::Tensor& mean_image,
                                       std::shared_ptr<const vision::NeighbourFill> neighbours) {
  std::vector<Method> methods = {
      {"mean fill", "mean_fill",
       [](const at::Tensor& x, const at::Tensor& m) { return vision::MeanFill(x, m); }},
      {"data-set mean", "dataset_mean_fill",
       [mean_image](const at::Tensor& x, const at::Tensor& m) {
         return vision::DatasetMeanFill(x, m, mean_image);
       }},
      {"harmonic fill", "harmonic_fill",
       [](const at::Tensor& x, const at::Tensor& m) { return vision::HarmonicFill(x, m); }},
  };
  if (neighbours != nullptr) {
    methods.push_back({absl::StrCat("nearest neighbours (", neighbours->options().k, ")"),
                       "nearest_neighbours",
                       [neighbours](const at::Tensor& x, const at::Tensor& m) {
                         return neighbours->Fill(x, m);
                       }});
  }
  return methods;
}

EvaluationReport Evaluate(const at::Tensor& images, const std::vector<Method>& methods,
                          const EvaluationOptions& options) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 1, "Evaluate: images must be [N, 1, H, W]");
  TORCH_CHECK(options.batch_size > 0, "Evaluate: batch_size must be positive");
  torch::NoGradGuard no_grad;
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  std::vector<vision::InpaintingMetrics> metrics(methods.size());
  std::vector<double> seconds(methods.size(), 0.0);
  double masked = 0.0;
  for (int64_t start = 0; start < n; start += options.batch_size) {
    const int64_t count = std::min(options.batch_size, n - start);
    const at::Tensor batch = images.slice(0, start, start + count);
    const at::Tensor masks =
        vision::IndexedMasks(options.masks, options.mask_seed, start, count, h, w);
    masked += masks.sum().item<double>();
    for (size_t i = 0; i < methods.size(); ++i) {
      const auto begin = std::chrono::steady_clock::now();
      const at::Tensor filled = methods[i].fill(batch, masks);
      seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      metrics[i].Add(filled, batch, masks);
    }
  }
  EvaluationReport report;
  report.images = n;
  report.masked_fraction = n > 0 ? masked / static_cast<double>(n * h * w) : 0.0;
  for (size_t i = 0; i < methods.size(); ++i) {
    report.methods.push_back({methods[i].name, methods[i].key, metrics[i].Scores(), seconds[i]});
  }
  return report;
}

std::string DescribeMasks(const vision::MaskOptions& masks) {
  std::string text = vision::MaskKindName(masks.kind);
  if (masks.kind == vision::MaskKind::kCenter) {
    absl::StrAppend(&text, " ", masks.center_size, "x", masks.center_size);
  } else if (masks.kind == vision::MaskKind::kPatches) {
    absl::StrAppend(&text, " ", masks.patch_size, "x", masks.patch_size, ", ratio ",
                    masks.patch_ratio);
  }
  return text;
}

std::string FormatTable(const EvaluationReport& report, const EvaluationOptions& options) {
  std::string table = absl::StrFormat("masks: %s (seed %d), %.1f%% of pixels masked, %d images\n",
                                      DescribeMasks(options.masks), options.mask_seed,
                                      100.0 * report.masked_fraction, report.images);
  absl::StrAppend(&table, absl::StrFormat("%-24s %9s %11s %9s %7s %9s\n", "method", "PSNR dB",
                                          "hole PSNR", "hole L1", "SSIM", "seconds"));
  for (const MethodResult& m : report.methods) {
    absl::StrAppend(&table, absl::StrFormat("%-24s %9.2f %11s %9s %7.4f %9.2f\n", m.name,
                                            m.scores.psnr, HoleText("%.2f", m.scores.psnr_hole),
                                            HoleText("%.4f", m.scores.l1_hole), m.scores.ssim,
                                            m.seconds));
  }
  return table;
}

nlohmann::json ReportJson(const EvaluationReport& report, const EvaluationOptions& options) {
  nlohmann::json methods = nlohmann::json::object();
  for (const MethodResult& m : report.methods) {
    methods[m.key] = {{"name", m.name},
                      {"psnr", m.scores.psnr},
                      {"psnr_hole", HoleJson(m.scores.psnr_hole)},
                      {"l1_hole", HoleJson(m.scores.l1_hole)},
                      {"ssim", m.scores.ssim},
                      {"mse", m.scores.mse},
                      {"images", m.scores.images},
                      {"images_with_hole", m.scores.images_with_hole},
                      {"seconds", m.seconds}};
  }
  return {{"images", report.images},
          {"mask",
           {{"kind", vision::MaskKindName(options.masks.kind)},
            {"center_size", options.masks.center_size},
            {"patch_size", options.masks.patch_size},
            {"patch_ratio", options.masks.patch_ratio},
            {"seed", options.mask_seed},
            {"masked_fraction", report.masked_fraction}}},
          {"metrics_convention",
           "means over images of per-image values of the composite (known pixels kept); PSNR "
           "with data range 1; SSIM 11x11 Gaussian sigma 1.5, valid windows"},
          {"methods", methods}};
}

std::string ReportCsv(const EvaluationReport& report) {
  std::string csv = "method,psnr,psnr_hole,l1_hole,ssim,seconds\n";
  for (const MethodResult& m : report.methods) {
    const auto hole = [](const char* format, double value) {
      return std::isnan(value) ? std::string() : absl::StrFormat(format, value);
    };
    absl::StrAppend(&csv, absl::StrFormat("%s,%.4f,%s,%s,%.6f,%.3f\n", m.key, m.scores.psnr,
                                          hole("%.4f", m.scores.psnr_hole),
                                          hole("%.6f", m.scores.l1_hole), m.scores.ssim,
                                          m.seconds));
  }
  return csv;
}

absl::Status WriteReconstructionGrid(const std::string& path, const at::Tensor& images,
                                     const at::Tensor& masks, const at::Tensor& filled,
                                     int64_t scale) {
  return vision::WriteComparisonGrid(path, {images, vision::ApplyMask(images, masks, 0.5), filled},
                                     {.padding = 2, .scale = scale});
}

}  // namespace sf::tasks::inpainting
