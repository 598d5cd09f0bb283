#include "tasks/inpainting/evaluation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "vision/masks.h"
#include "vision/png_io.h"

namespace sf::tasks::inpainting {
namespace {

at::Tensor SmoothImages(int64_t n) {
  const at::Tensor ramp = at::linspace(0.2, 0.8, 16).view({1, 1, 1, 16});
  return (ramp + at::linspace(0.0, 0.1, n).view({n, 1, 1, 1})).expand({n, 1, 16, 16}).contiguous();
}

TEST(EvaluateTest, EveryMethodSeesTheSameMasksWhateverTheBatchSize) {
  const at::Tensor images = SmoothImages(7);
  std::vector<at::Tensor> seen;
  const Method perfect{"perfect", "perfect",
                       [&](const at::Tensor& x, const at::Tensor& m) {
                         seen.push_back(m);
                         return x;
                       }};
  std::vector<Method> methods = ClassicalBaselines(images.mean(0));
  methods.push_back(perfect);
  EvaluationOptions options;
  options.masks = {.kind = vision::MaskKind::kPatches, .patch_size = 4, .patch_ratio = 0.5};
  options.batch_size = 3;
  const EvaluationReport report = Evaluate(images, methods, options);
  ASSERT_EQ(report.methods.size(), 4u);
  EXPECT_EQ(report.images, 7);
  EXPECT_NEAR(report.masked_fraction, 0.5, 1e-9);
  EXPECT_EQ(at::cat(seen).sizes(), (std::vector<int64_t>{7, 1, 16, 16}));
  EXPECT_TRUE(at::equal(at::cat(seen), vision::IndexedMasks(options.masks, 2024, 0, 7, 16, 16)));
  EXPECT_NEAR(report.methods[3].scores.psnr, 100.0, 1e-6);
  // On a smooth ramp, interpolating the hole's border beats one constant.
  EXPECT_LT(report.methods[0].scores.psnr, report.methods[2].scores.psnr);
}

TEST(EvaluateTest, TableJsonAndCsvNameEveryMethod) {
  const at::Tensor images = SmoothImages(2);
  EvaluationOptions options;
  options.masks.center_size = 6;
  const EvaluationReport report = Evaluate(images, ClassicalBaselines(images.mean(0)), options);
  const std::string table = FormatTable(report, options);
  EXPECT_NE(table.find("center 6x6 (seed 2024)"), std::string::npos) << table;
  EXPECT_NE(table.find("harmonic fill"), std::string::npos) << table;
  const nlohmann::json json = ReportJson(report, options);
  EXPECT_EQ(json["images"], 2);
  EXPECT_EQ(json["mask"]["kind"], "center");
  EXPECT_TRUE(json["methods"].contains("mean_fill"));
  EXPECT_TRUE(json["methods"]["harmonic_fill"].contains("ssim"));
  const std::string csv = ReportCsv(report);
  EXPECT_EQ(csv.rfind("method,psnr,psnr_hole,l1_hole,ssim,seconds\n", 0), 0u);
  EXPECT_NE(csv.find("\ndataset_mean_fill,"), std::string::npos) << csv;
}

TEST(EvaluateTest, HoleFiguresAreNotApplicableWhenNoImageHasAHole) {
  const at::Tensor images = SmoothImages(3);
  EvaluationOptions options;
  options.masks = {.kind = vision::MaskKind::kPatches, .patch_size = 4, .patch_ratio = 0.0};
  const EvaluationReport report = Evaluate(images, ClassicalBaselines(images.mean(0)), options);
  const std::string table = FormatTable(report, options);
  EXPECT_NE(table.find("n/a"), std::string::npos) << table;
  EXPECT_EQ(table.find("nan"), std::string::npos) << table;
  EXPECT_EQ(table.find(" 0.00 "), std::string::npos) << table;
  const nlohmann::json json = ReportJson(report, options);
  for (const auto& [key, method] : json["methods"].items()) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(method["psnr_hole"].is_null()) << method;
    EXPECT_TRUE(method["l1_hole"].is_null()) << method;
    EXPECT_TRUE(method["psnr"].is_number()) << method;
    EXPECT_EQ(method["images_with_hole"], 0);
  }
  const std::string csv = ReportCsv(report);
  EXPECT_NE(csv.find("\nmean_fill,100.0000,,,"), std::string::npos) << csv;
}

TEST(WriteReconstructionGridTest, WritesThreeColumns) {
  const at::Tensor images = SmoothImages(2);
  const at::Tensor masks = vision::CenterSquareMask(16, 16, 6).unsqueeze(0).expand({2, 1, 16, 16});
  const std::string path = ::testing::TempDir() + "/grid.png";
  ASSERT_TRUE(WriteReconstructionGrid(path, images, masks, images, /*scale=*/2).ok());
  absl::StatusOr<at::Tensor> grid = vision::ReadPng(path);
  ASSERT_TRUE(grid.ok()) << grid.status();
  EXPECT_EQ(grid->size(1), 2 * (32 + 2) + 2);
  EXPECT_EQ(grid->size(2), 3 * (32 + 2) + 2);
}

}  // namespace
}  // namespace sf::tasks::inpainting
