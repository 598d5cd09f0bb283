// Measures the classical inpainting baselines (mean fill, data-set mean fill, harmonic fill;
// see vision/baselines.h, and the k nearest training images, vision/neighbour_fill.h) on an
// MNIST-format test set with fixed, reproducible masks, and writes the figures the learned
// models are compared against:
//
//   bazel run //vision:baselines_report -- --mask=center --out=center.json --grid=center.png
//   bazel run //vision:baselines_report -- --mask=patches --mask_ratio=0.75
//       --out=patches.json --grid=patches.png     (one command line)
//
// Prints a table (mean over images of per-image PSNR over the whole image and over the hole,
// L1 over the hole, SSIM; see vision/metrics.h), writes it as JSON to --out and a PNG grid
// (original | masked | mean fill | data-set mean fill | harmonic fill | nearest neighbours) of
// the first --grid_rows test images. The data-set mean is the mean training image; the nearest
// neighbours are the --neighbours training images nearest on the known pixels (0 leaves the
// row out). Hole figures are n/a (null in the JSON) when no image has a hole. Exits with 2 when
// the harmonic solver did not reach its tolerance, with 1 and an `error: ...` line on bad flags
// or data.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "training/file_io.h"
#include "vision/baselines.h"
#include "vision/image_grid.h"
#include "vision/mask_flags.h"
#include "vision/masks.h"
#include "vision/metrics.h"
#include "vision/mnist.h"
#include "vision/neighbour_fill.h"

ABSL_FLAG(std::string, data_dir, sf::vision::kFashionMnistDir,
          "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (MNIST format).");
ABSL_FLAG(int64_t, limit, 0, "Evaluate only the first N test images (0 = all).");
ABSL_FLAG(int64_t, batch_size, 1000, "Images per batch.");
ABSL_FLAG(std::string, out, "baselines_metrics.json", "Where to write the metrics JSON.");
ABSL_FLAG(std::string, grid, "baselines_grid.png",
          "Where to write the PNG grid (original | masked | mean fill | data-set mean fill | "
          "harmonic fill | nearest neighbours).");
ABSL_FLAG(int64_t, grid_rows, 8, "Test images shown in the grid.");
ABSL_FLAG(int64_t, grid_scale, 4, "Nearest-neighbour enlargement of the grid images.");
ABSL_FLAG(int64_t, neighbours, 20,
          "Training images averaged by the nearest-neighbour fill (0: leave its row out).");
ABSL_FLAG(double, neighbour_temperature, sf::vision::NeighbourFillOptions().temperature,
          "Temperature of the nearest-neighbour fill's softmax over distances.");

namespace sf::vision {
namespace {

struct Method {
  std::string name;
  InpaintingMetrics metrics;
  double seconds = 0.0;
};

// The largest --grid_scale: a 28 x 28 cell becomes 1792 x 1792 pixels.
constexpr int64_t kMaxGridScale = 64;

// A hole figure is NaN when no image had a hole: there is nothing to score.
nlohmann::json HoleJson(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

std::string HoleText(const char* format, double value) {
  return std::isnan(value) ? std::string("n/a") : absl::StrFormat(format, value);
}

nlohmann::json ScoresJson(const Method& method) {
  const InpaintingScores s = method.metrics.Scores();
  return {{"psnr", s.psnr},
          {"psnr_hole", HoleJson(s.psnr_hole)},
          {"l1_hole", HoleJson(s.l1_hole)},
          {"ssim", s.ssim},
          {"mse", s.mse},
          {"psnr_of_mean_mse", -10.0 * std::log10(s.mse)},
          {"images", s.images},
          {"images_with_hole", s.images_with_hole},
          {"seconds", method.seconds}};
}

// Batch, grid and output flags, checked before any data is loaded.
absl::Status CheckRunFlags() {
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  if (batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--batch_size must be >= 1, got ", batch_size));
  }
  const int64_t limit = absl::GetFlag(FLAGS_limit);
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit must be >= 0 (0: all test images), got ", limit));
  }
  const int64_t grid_rows = absl::GetFlag(FLAGS_grid_rows);
  if (grid_rows < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grid_rows must be >= 0 (0: no grid), got ", grid_rows));
  }
  const int64_t grid_scale = absl::GetFlag(FLAGS_grid_scale);
  if (grid_scale < 1 || grid_scale > kMaxGridScale) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grid_scale must be in [1, ", kMaxGridScale, "], got ", grid_scale));
  }
  if (absl::GetFlag(FLAGS_out).empty()) {
    return absl::InvalidArgumentError("--out must name the metrics JSON file to write");
  }
  const int64_t neighbours = absl::GetFlag(FLAGS_neighbours);
  if (neighbours < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--neighbours must be >= 0 (0: no nearest-neighbour row), got ", neighbours));
  }
  const double temperature = absl::GetFlag(FLAGS_neighbour_temperature);
  if (!(temperature > 0.0 && std::isfinite(temperature))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--neighbour_temperature must be positive and finite, got ", temperature));
  }
  return absl::OkStatus();
}

// The nearest-neighbour fill over the training images, or null with --neighbours=0.
absl::StatusOr<std::unique_ptr<NeighbourFill>> MakeNeighbourFill(const at::Tensor& train,
                                                                 const std::string& data_dir) {
  const int64_t k = absl::GetFlag(FLAGS_neighbours);
  if (k == 0) return nullptr;
  if (k >= train.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--neighbours=", k, " needs more than ", k, " training images, ", data_dir, " has ",
        train.size(0), " (pass a smaller --neighbours, or 0 to leave the row out)"));
  }
  NeighbourFillOptions options;
  options.k = k;
  options.temperature = absl::GetFlag(FLAGS_neighbour_temperature);
  options.candidates = std::max(options.candidates, k + 1);
  return std::make_unique<NeighbourFill>(train, options);
}

// The exit code (0, or 2 when the harmonic solver did not converge), or the error to print.
absl::StatusOr<int> Run() {
  absl::Status status = runtime::ConfigureRuntime(runtime::RuntimeOptionsFromFlags());
  if (!status.ok()) return status;
  absl::StatusOr<MaskOptions> mask_options_or = MaskOptionsFromFlags({.min_center_size = 0});
  if (!mask_options_or.ok()) return mask_options_or.status();
  const MaskOptions mask_options = *mask_options_or;
  status = CheckRunFlags();
  if (!status.ok()) return status;
  const uint64_t mask_seed = absl::GetFlag(FLAGS_mask_seed);
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  std::cerr << runtime::RuntimeBanner() << "\n";

  const std::string data_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_data_dir));
  const auto load_start = std::chrono::steady_clock::now();
  absl::StatusOr<MnistData> test = LoadMnist(data_dir, MnistSplit::kTest);
  if (!test.ok()) return test.status();
  const int64_t h = test->images.size(2), w = test->images.size(3);
  status = CheckImagesFit(mask_options, h, w);
  if (!status.ok()) return status;
  absl::StatusOr<MnistData> train = LoadMnist(data_dir, MnistSplit::kTrain);
  if (!train.ok()) return train.status();
  const at::Tensor mean_image = train->images.mean(0);
  absl::StatusOr<std::unique_ptr<NeighbourFill>> neighbour_fill =
      MakeNeighbourFill(train->images, data_dir);
  if (!neighbour_fill.ok()) return neighbour_fill.status();
  const NeighbourFill* knn = neighbour_fill->get();
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  int64_t n = test->images.size(0);
  if (absl::GetFlag(FLAGS_limit) > 0) n = std::min(n, absl::GetFlag(FLAGS_limit));
  std::cerr << "test images: " << n << " of " << test->images.size(0) << " (" << h << " x " << w
            << ") from " << data_dir << ", mean of " << train->images.size(0)
            << " training images; loaded in " << absl::StrFormat("%.2f", load_seconds)
            << " s\n";

  Method mean{"mean fill"}, dataset_mean{"data-set mean"}, harmonic{"harmonic fill"};
  Method nearest{absl::StrCat("nearest neighbours (", absl::GetFlag(FLAGS_neighbours), ")")};
  int64_t max_iterations = 0;
  double max_residual = 0.0;
  bool converged = true;
  double masked_fraction = 0.0;
  const auto timed = [](Method& method, const auto& fill) {
    const auto start = std::chrono::steady_clock::now();
    at::Tensor filled = fill();
    method.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return filled;
  };
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t count = std::min(batch_size, n - start);
    const at::Tensor images = test->images.slice(0, start, start + count);
    const at::Tensor masks = IndexedMasks(mask_options, mask_seed, start, count, h, w);
    masked_fraction += masks.sum().item<double>() / (h * w);
    const at::Tensor mean_filled = timed(mean, [&] { return MeanFill(images, masks); });
    const at::Tensor dataset_filled =
        timed(dataset_mean, [&] { return DatasetMeanFill(images, masks, mean_image); });
    HarmonicFillStats stats;
    const at::Tensor harmonic_filled =
        timed(harmonic, [&] { return HarmonicFill(images, masks, {}, &stats); });
    max_iterations = std::max(max_iterations, stats.iterations);
    max_residual = std::max(max_residual, stats.max_residual);
    converged = converged && stats.converged;
    mean.metrics.Add(mean_filled, images, masks);
    dataset_mean.metrics.Add(dataset_filled, images, masks);
    harmonic.metrics.Add(harmonic_filled, images, masks);
    if (knn != nullptr) {
      nearest.metrics.Add(timed(nearest, [&] { return knn->Fill(images, masks); }), images, masks);
    }
  }
  masked_fraction /= std::max<int64_t>(n, 1);

  std::string mask_text = MaskKindName(mask_options.kind);
  if (mask_options.kind == MaskKind::kCenter) {
    absl::StrAppend(&mask_text, " ", mask_options.center_size, "x", mask_options.center_size);
  } else if (mask_options.kind == MaskKind::kPatches) {
    absl::StrAppend(&mask_text, " ", mask_options.patch_size, "x", mask_options.patch_size,
                    ", ratio ", mask_options.patch_ratio);
  }
  std::cout << absl::StrFormat(
      "mask: %s (seed %d), %.1f%% of pixels masked, %d images\n", mask_text, mask_seed,
      100.0 * masked_fraction, n);
  std::vector<const Method*> methods = {&mean, &dataset_mean, &harmonic};
  if (knn != nullptr) methods.push_back(&nearest);
  std::cout << absl::StrFormat("%-24s %9s %11s %9s %7s %9s\n", "method", "PSNR dB",
                               "hole PSNR", "hole L1", "SSIM", "seconds");
  for (const Method* method : methods) {
    const InpaintingScores s = method->metrics.Scores();
    std::cout << absl::StrFormat("%-24s %9.2f %11s %9s %7.4f %9.2f\n", method->name, s.psnr,
                                 HoleText("%.2f", s.psnr_hole), HoleText("%.4f", s.l1_hole),
                                 s.ssim, method->seconds);
  }
  std::cout << absl::StrFormat(
      "harmonic fill: conjugate gradients, at most %d iterations per batch, max residual %.2e "
      "(%s)\n",
      max_iterations, max_residual, converged ? "converged" : "NOT converged");

  const int64_t rows = std::min(absl::GetFlag(FLAGS_grid_rows), n);
  const std::string grid_path = rows > 0 && !absl::GetFlag(FLAGS_grid).empty()
                                    ? runtime::ResolveUserPath(absl::GetFlag(FLAGS_grid))
                                    : std::string();
  nlohmann::json report = {
      {"data_dir", data_dir},
      {"split", "test"},
      {"images", n},
      {"mask",
       {{"kind", MaskKindName(mask_options.kind)},
        {"center_size", mask_options.center_size},
        {"patch_size", mask_options.patch_size},
        {"patch_ratio", mask_options.patch_ratio},
        {"seed", mask_seed},
        {"masked_fraction", masked_fraction}}},
      {"metrics_convention",
       "means over images of per-image values; PSNR with data range 1 (MSE floored at 1e-10); "
       "SSIM 11x11 Gaussian sigma 1.5, K1 0.01, K2 0.03, valid windows"},
      {"methods",
       {{"mean_fill", ScoresJson(mean)},
        {"dataset_mean_fill", ScoresJson(dataset_mean)},
        {"harmonic_fill", ScoresJson(harmonic)}}},
      {"nearest_neighbour_search",
       knn == nullptr ? nlohmann::json(nullptr)
                      : nlohmann::json{{"k", knn->options().k},
                                       {"temperature", knn->options().temperature},
                                       {"candidates", knn->options().candidates}}},
      {"harmonic_fill_solver",
       {{"max_iterations", max_iterations},
        {"max_residual", max_residual},
        {"converged", converged}}},
      {"grid", grid_path},
      {"runtime", runtime::RuntimeBanner()},
  };
  if (knn != nullptr) report["methods"]["nearest_neighbours"] = ScoresJson(nearest);
  // The metrics first: they took the whole evaluation, the grid is a picture of a few rows.
  const std::string out_path = runtime::ResolveUserPath(absl::GetFlag(FLAGS_out));
  status = training::WriteFileAtomically(out_path, report.dump(2) + "\n");
  if (!status.ok()) return status;
  std::cout << "metrics: " << out_path << "\n";

  if (!grid_path.empty()) {
    const at::Tensor images = test->images.slice(0, 0, rows);
    const at::Tensor masks = IndexedMasks(mask_options, mask_seed, 0, rows, h, w);
    std::vector<at::Tensor> columns = {images, ApplyMask(images, masks, 0.5),
                                       MeanFill(images, masks),
                                       DatasetMeanFill(images, masks, mean_image),
                                       HarmonicFill(images, masks)};
    if (knn != nullptr) columns.push_back(knn->Fill(images, masks));
    status = WriteComparisonGrid(grid_path, columns,
                                 {.padding = 2, .scale = absl::GetFlag(FLAGS_grid_scale)});
    if (!status.ok()) return status;
    std::cout << "grid (original | masked | mean fill | data-set mean fill | harmonic fill"
              << (knn != nullptr ? " | nearest neighbours" : "") << "): " << grid_path << "\n";
  }
  return converged ? 0 : 2;
}

}  // namespace
}  // namespace sf::vision

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Mean fill and harmonic fill on an MNIST-format test set: metrics JSON and a PNG grid.");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<int> exit_code;
  try {
    exit_code = sf::vision::Run();
  } catch (const c10::Error& e) {
    const std::string text = e.what_without_backtrace();
    exit_code = absl::InternalError(text.substr(0, text.find('\n')));
  } catch (const std::exception& e) {
    exit_code = absl::InternalError(e.what());
  }
  if (!exit_code.ok()) {
    std::cerr << "error: " << exit_code.status().message() << "\n";
    return 1;
  }
  return *exit_code;
}
