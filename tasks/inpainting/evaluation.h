// Scores inpainting methods on a test set with fixed masks, so a learned model and the
// classical baselines (vision/baselines.h) are compared on exactly the same holes, and writes
// what people look at: a table, a metrics JSON and a PNG grid.
//
//   EvaluationOptions options{.masks = mask_options, .mask_seed = 2024};
//   std::vector<Method> methods = ClassicalBaselines(train_images.mean(0));
//   methods.push_back({"cnn", "model", [&](const at::Tensor& x, const at::Tensor& m) {...}});
//   EvaluationReport report = Evaluate(test_images, methods, options);
//   std::cout << FormatTable(report);
//
// Image i of the test set gets IndexedMasks(options.masks, options.mask_seed, i, ...), the
// same masks //vision:baselines_report uses for the same seed. A method returns the composite
// it is scored on (known pixels kept). Metrics are those of vision/metrics.h.
#ifndef SCRATCHFORMER_TASKS_INPAINTING_EVALUATION_H_
#define SCRATCHFORMER_TASKS_INPAINTING_EVALUATION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "vision/masks.h"
#include "vision/metrics.h"
#include "vision/neighbour_fill.h"

namespace sf::tasks::inpainting {

// images, masks [B, 1, H, W] -> the filled images [B, 1, H, W].
using FillFunction = std::function<at::Tensor(const at::Tensor& images, const at::Tensor& masks)>;

struct Method {
  std::string name;  // in the table, e.g. "harmonic fill"
  std::string key;   // in the JSON, e.g. "harmonic_fill"
  FillFunction fill;
};

// Mean fill, data-set mean fill (of `mean_image` [1, H, W]), harmonic fill and, given a search
// over the training images, nearest-neighbour fill.
std::vector<Method> ClassicalBaselines(
    const at::Tensor& mean_image,
    std::shared_ptr<const vision::NeighbourFill> neighbours = nullptr);

struct EvaluationOptions {
  vision::MaskOptions masks;
  uint64_t mask_seed = 2024;  // //vision:baselines_report's default
  int64_t batch_size = 500;
};

struct MethodResult {
  std::string name;
  std::string key;
  vision::InpaintingScores scores;
  double seconds = 0.0;
};

struct EvaluationReport {
  std::vector<MethodResult> methods;
  int64_t images = 0;
  double masked_fraction = 0.0;  // of all test pixels
};

EvaluationReport Evaluate(const at::Tensor& images, const std::vector<Method>& methods,
                          const EvaluationOptions& options);

// "center 14x14", "patches 4x4, ratio 0.75", "strokes", "rectangles".
std::string DescribeMasks(const vision::MaskOptions& masks);

// A header line (masks, seed, images) and one row per method: PSNR, hole PSNR, hole L1, SSIM.
// When no image has a hole the hole figures are n/a here, null in the JSON and empty in the CSV.
std::string FormatTable(const EvaluationReport& report, const EvaluationOptions& options);

// {"images", "mask": {...}, "methods": {key: {psnr, psnr_hole, l1_hole, ssim, mse, seconds}}}.
nlohmann::json ReportJson(const EvaluationReport& report, const EvaluationOptions& options);

// The same rows as CSV: method,psnr,psnr_hole,l1_hole,ssim,seconds.
std::string ReportCsv(const EvaluationReport& report);

// A PNG grid, one row per image: original | masked (hole shown grey) | filled.
absl::Status WriteReconstructionGrid(const std::string& path, const at::Tensor& images,
                                     const at::Tensor& masks, const at::Tensor& filled,
                                     int64_t scale = 4);

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_EVALUATION_H_
