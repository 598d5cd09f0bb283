#include "vision/mask_flags.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vision/metrics.h"

ABSL_FLAG(std::string, mask, "center",
          "Mask kind: center, patches, rectangles or strokes (for the inpainting tasks: of "
          "training, evaluation and --input).");
ABSL_FLAG(int64_t, center_size, 14, "Side of the centre square hole (--mask=center).");
ABSL_FLAG(int64_t, patch_size, 4, "Patch side (--mask=patches).");
ABSL_FLAG(double, mask_ratio, 0.75, "Fraction of patches masked (--mask=patches).");
ABSL_FLAG(uint64_t, mask_seed, 2024,
          "Seed of the test-set (and --input) masks: image i's mask depends only on "
          "(mask_seed, i), the same in //vision:baselines_report and the inpainting tasks.");

namespace sf::vision {

absl::StatusOr<MaskOptions> MaskOptionsFromFlags(const MaskFlagLimits& limits) {
  absl::StatusOr<MaskKind> kind = ParseMaskKind(absl::GetFlag(FLAGS_mask));
  if (!kind.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--mask: ", kind.status().message()));
  }
  MaskOptions options;
  options.kind = *kind;
  options.center_size = absl::GetFlag(FLAGS_center_size);
  options.patch_size = absl::GetFlag(FLAGS_patch_size);
  options.patch_ratio = absl::GetFlag(FLAGS_mask_ratio);
  if (options.center_size < limits.min_center_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--center_size must be >= ", limits.min_center_size, ", got ", options.center_size));
  }
  if (options.patch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--patch_size must be >= 1, got ", options.patch_size));
  }
  if (!(options.patch_ratio >= 0.0 && options.patch_ratio <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mask_ratio must be in [0, 1], got ", options.patch_ratio));
  }
  return options;
}

absl::Status CheckImagesFit(const MaskOptions& masks, int64_t height, int64_t width) {
  if (height < kSsimWindow || width < kSsimWindow) {
    return absl::InvalidArgumentError(absl::StrCat("the images are ", width, "x", height,
                                                   "; the evaluation's SSIM needs at least ",
                                                   kSsimWindow, "x", kSsimWindow));
  }
  if (masks.kind == MaskKind::kCenter &&
      (masks.center_size > height || masks.center_size > width)) {
    return absl::InvalidArgumentError(absl::StrCat("--center_size ", masks.center_size,
                                                   " is larger than the ", width, "x", height,
                                                   " images"));
  }
  if (masks.kind == MaskKind::kPatches &&
      (height % masks.patch_size != 0 || width % masks.patch_size != 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--patch_size ", masks.patch_size,
                                                   " does not divide the ", width, "x", height,
                                                   " images"));
  }
  return absl::OkStatus();
}

}  // namespace sf::vision
