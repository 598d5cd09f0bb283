// Inpainting masks: which pixels of an image are missing.
//
// Convention, everywhere in vision/ and the inpainting tasks: a mask is a float tensor with
// 1 = hole (missing, to be filled in) and 0 = known. A single mask is [1, H, W] and a batch is
// [N, 1, H, W], so masks broadcast over the channels of images [C, H, W] / [N, C, H, W]:
//   masked = ApplyMask(images, masks, /*fill=*/0.0)   // images * (1 - masks) + fill * masks
//
// Kinds:
//   - centre square of a given size (the classic 14x14 hole in a 28x28 image);
//   - random axis-aligned rectangles;
//   - random patches, MAE style: the image is cut into p x p patches and exactly
//     NumMaskedPatches(num_patches, ratio) = round(ratio * num_patches) of them are masked;
//   - free-form strokes: random brush strokes drawn as in DeepFill v2 / gated convolution
//     (Yu et al. 2019), scaled down to small images.
//
// Randomness comes only from an explicitly seeded std::mt19937_64 and is turned into numbers
// by this file's own integer, uniform and normal samplers (the std:: distributions differ
// between standard libraries), so a seed gives the same masks on every platform.
//
//   MaskOptions options{.kind = MaskKind::kPatches, .patch_size = 4, .patch_ratio = 0.75};
//   std::mt19937_64 gen(seed);
//   at::Tensor train_masks = SampleMasks(options, 64, 28, 28, gen);   // [64, 1, 28, 28]
//   // Evaluation: image i always gets the same mask, whatever the batching.
//   at::Tensor test_masks = IndexedMasks(options, /*seed=*/1234, /*first_index=*/i0, n, 28, 28);
#ifndef SCRATCHFORMER_VISION_MASKS_H_
#define SCRATCHFORMER_VISION_MASKS_H_

#include <cstdint>
#include <random>
#include <string>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::vision {

// A size x size hole at rows/columns [(H - size) / 2, (H - size) / 2 + size) (floor division),
// so 14 in 28 covers rows and columns 7..20. [1, H, W].
at::Tensor CenterSquareMask(int64_t height, int64_t width, int64_t size);

struct RectangleMaskOptions {
  int64_t min_count = 1;  // rectangles per image: uniform in [min_count, max_count]
  int64_t max_count = 3;
  int64_t min_size = 5;   // each side: uniform in [min_size, max_size], capped at the image side
  int64_t max_size = 14;
};

// The union of random rectangles lying fully inside the image. [1, H, W].
at::Tensor RandomRectangleMask(int64_t height, int64_t width, const RectangleMaskOptions& options,
                               std::mt19937_64& gen);

// round(ratio * num_patches), halves rounded away from zero (MAE's 75% of 49 patches: 37). A
// product within a relative 1e-9 below a half counts as that half, so the decimal ratio 0.285
// of 100 patches gives 29 although its double times 100 is 28.4999...
int64_t NumMaskedPatches(int64_t num_patches, double ratio);

// A uniformly random subset of exactly NumMaskedPatches(num_patches, ratio) patches: float
// [num_patches], 1 = masked.
at::Tensor RandomPatchSelection(int64_t num_patches, double ratio, std::mt19937_64& gen);

// Patch masks [N, (H / p) * (W / p)] (row-major patch order, as a ViT's patch sequence) as
// pixel masks [N, 1, H, W], and back: the fraction of masked pixels in each patch (exactly
// 0 or 1 for patch masks of the same p).
at::Tensor PatchMaskToPixels(const at::Tensor& patch_masks, int64_t height, int64_t width,
                             int64_t patch_size);
at::Tensor PixelMaskToPatches(const at::Tensor& masks, int64_t patch_size);

// Random p x p patches, exactly NumMaskedPatches((H / p) * (W / p), ratio) of them; H and W
// must be multiples of p. [1, H, W].
at::Tensor RandomPatchMask(int64_t height, int64_t width, int64_t patch_size, double ratio,
                           std::mt19937_64& gen);

// DeepFill v2's free-form mask generator: each stroke starts at a random pixel and walks
// through num_vertices segments whose directions alternate around mean_angle (spread
// angle_range) and whose lengths are normal(average_radius, average_radius / 2) clipped to
// [0, 2 * average_radius]; the polyline is drawn with a round brush of one random width per
// stroke, and the result is flipped horizontally / vertically with probability 1/2 each.
// DeepFill draws 12..40-pixel brushes on 256 x 256 images; the defaults scale that to 28 x 28.
struct StrokeMaskOptions {
  int64_t min_strokes = 1;  // uniform in [min_strokes, max_strokes]
  int64_t max_strokes = 3;
  int64_t min_vertices = 4;  // segments per stroke: uniform in [min_vertices, max_vertices]
  int64_t max_vertices = 11;
  double mean_angle = 2.0 * 3.14159265358979323846 / 5.0;
  double angle_range = 2.0 * 3.14159265358979323846 / 15.0;
  double min_width = 2.0;  // brush diameter in pixels: uniform in [min_width, max_width)
  double max_width = 5.0;
  double average_radius = 0.0;  // segment length scale; 0 = sqrt(H^2 + W^2) / 8 as DeepFill
};

at::Tensor FreeFormMask(int64_t height, int64_t width, const StrokeMaskOptions& options,
                        std::mt19937_64& gen);

enum class MaskKind { kCenter, kRectangles, kPatches, kStrokes };

// "center", "rectangles", "patches", "strokes" (and back); InvalidArgument naming the value.
absl::StatusOr<MaskKind> ParseMaskKind(const std::string& name);
std::string MaskKindName(MaskKind kind);

// One mask family with its parameters, for binaries that choose the kind by flag.
struct MaskOptions {
  MaskKind kind = MaskKind::kCenter;
  int64_t center_size = 14;
  RectangleMaskOptions rectangles;
  int64_t patch_size = 4;
  double patch_ratio = 0.75;
  StrokeMaskOptions strokes;
};

// One mask [1, H, W] of `options.kind`, drawing from `gen` (nothing for centre masks).
at::Tensor SampleMask(const MaskOptions& options, int64_t height, int64_t width,
                      std::mt19937_64& gen);

// N masks [N, 1, H, W] drawn one after another from `gen` (training batches).
at::Tensor SampleMasks(const MaskOptions& options, int64_t n, int64_t height, int64_t width,
                       std::mt19937_64& gen);

// Masks for images first_index .. first_index + n - 1 of a data set, [N, 1, H, W]: image i's
// mask depends only on (seed, i), so every method evaluated with the same seed sees the same
// holes whatever its batch size or order.
at::Tensor IndexedMasks(const MaskOptions& options, uint64_t seed, int64_t first_index,
                        int64_t n, int64_t height, int64_t width);

// images * (1 - masks) + fill * masks: the hole painted with a constant. images [C, H, W] or
// [N, C, H, W]; masks broadcastable to them.
at::Tensor ApplyMask(const at::Tensor& images, const at::Tensor& masks, double fill = 0.0);

}  // namespace sf::vision

#endif  // SCRATCHFORMER_VISION_MASKS_H_
