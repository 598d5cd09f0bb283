// The mask flags shared by //vision:baselines_report and the inpainting tasks, so that one set
// of flags gives every program the same test-set masks:
//   --mask=center|patches|rectangles|strokes  --center_size  --patch_size  --mask_ratio
//   --mask_seed (image i's mask depends only on (mask_seed, i); see IndexedMasks)
//
//   absl::StatusOr<sf::vision::MaskOptions> masks =
//       sf::vision::MaskOptionsFromFlags({.min_center_size = 1});
#ifndef SCRATCHFORMER_VISION_MASK_FLAGS_H_
#define SCRATCHFORMER_VISION_MASK_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vision/masks.h"

ABSL_DECLARE_FLAG(std::string, mask);
ABSL_DECLARE_FLAG(int64_t, center_size);
ABSL_DECLARE_FLAG(int64_t, patch_size);
ABSL_DECLARE_FLAG(double, mask_ratio);
ABSL_DECLARE_FLAG(uint64_t, mask_seed);

namespace sf::vision {

struct MaskFlagLimits {
  // 0 lets --center_size=0 mean "no hole" (the figures of untouched images).
  int64_t min_center_size = 1;
};

// The masks the flags describe; an error names the flag and its value. Whether the masks fit
// the images is checked once their size is known.
absl::StatusOr<MaskOptions> MaskOptionsFromFlags(const MaskFlagLimits& limits = {});

// The checks that need the image size: images no smaller than the evaluation's SSIM window, a
// centre hole no larger than them, patches that tile them. Errors name the flag.
absl::Status CheckImagesFit(const MaskOptions& masks, int64_t height, int64_t width);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_MASK_FLAGS_H_
