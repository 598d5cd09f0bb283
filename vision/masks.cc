#include "vision/masks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sf::vision {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Uniform in [lo, hi], without modulo bias: draws below 2^64 mod range are rejected, leaving a
// multiple of range equally likely values.
int64_t UniformInt(std::mt19937_64& gen, int64_t lo, int64_t hi) {
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  const uint64_t reject_below = (0 - range) % range;
  uint64_t x = gen();
  while (x < reject_below) x = gen();
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % range);
}

// Uniform in [0, 1) with 53 random bits.
double UniformUnit(std::mt19937_64& gen) {
  return static_cast<double>(gen() >> 11) * (1.0 / 9007199254740992.0);
}

double Uniform(std::mt19937_64& gen, double lo, double hi) {
  return lo + (hi - lo) * UniformUnit(gen);
}

// Standard normal by Box-Muller (one value per call).
double StandardNormal(std::mt19937_64& gen) {
  const double u1 = 1.0 - UniformUnit(gen);  // (0, 1]: log is finite
  const double u2 = UniformUnit(gen);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void CheckImageSize(int64_t height, int64_t width) {
  TORCH_CHECK(height > 0 && width > 0, "mask size must be positive, got ", height, " x ", width);
}

double SquaredDistanceToSegment(double px, double py, double ax, double ay, double bx,
                                double by) {
  const double dx = bx - ax, dy = by - ay;
  const double length2 = dx * dx + dy * dy;
  double t = length2 > 0.0 ? ((px - ax) * dx + (py - ay) * dy) / length2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

}  // namespace

at::Tensor CenterSquareMask(int64_t height, int64_t width, int64_t size) {
  CheckImageSize(height, width);
  TORCH_CHECK(size >= 0 && size <= height && size <= width, "centre hole of size ", size,
              " does not fit a ", height, " x ", width, " image");
  at::Tensor mask = at::zeros({1, height, width});
  const int64_t top = (height - size) / 2, left = (width - size) / 2;
  mask.slice(1, top, top + size).slice(2, left, left + size).fill_(1.0);
  return mask;
}

at::Tensor RandomRectangleMask(int64_t height, int64_t width, const RectangleMaskOptions& options,
                               std::mt19937_64& gen) {
  CheckImageSize(height, width);
  TORCH_CHECK(options.min_count >= 0 && options.min_count <= options.max_count,
              "rectangle count range [", options.min_count, ", ", options.max_count,
              "] is invalid");
  TORCH_CHECK(options.min_size >= 1 && options.min_size <= options.max_size,
              "rectangle size range [", options.min_size, ", ", options.max_size, "] is invalid");
  at::Tensor mask = at::zeros({1, height, width});
  const int64_t count = UniformInt(gen, options.min_count, options.max_count);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t h = std::min(UniformInt(gen, options.min_size, options.max_size), height);
    const int64_t w = std::min(UniformInt(gen, options.min_size, options.max_size), width);
    const int64_t top = UniformInt(gen, 0, height - h);
    const int64_t left = UniformInt(gen, 0, width - w);
    mask.slice(1, top, top + h).slice(2, left, left + w).fill_(1.0);
  }
  return mask;
}

int64_t NumMaskedPatches(int64_t num_patches, double ratio) {
  TORCH_CHECK(num_patches >= 0, "num_patches must be >= 0, got ", num_patches);
  TORCH_CHECK(ratio >= 0.0 && ratio <= 1.0, "mask ratio must be in [0, 1], got ", ratio);
  // A decimal ratio is stored a hair off its value (0.285 is 0.28499999999999998...), which
  // would turn an exact half such as 0.285 * 100 = 28.5 into 28.4999... and round it down. The
  // nudge, far above that error and far below any real fraction of a patch, restores the half.
  const double exact = ratio * static_cast<double>(num_patches);
  return std::llround(exact + 1e-9 * std::max(1.0, exact));
}

at::Tensor RandomPatchSelection(int64_t num_patches, double ratio, std::mt19937_64& gen) {
  const int64_t masked = NumMaskedPatches(num_patches, ratio);
  // Partial Fisher-Yates: the first `masked` entries become a uniform random subset.
  std::vector<int64_t> order(num_patches);
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = 0; i < masked; ++i) {
    std::swap(order[i], order[UniformInt(gen, i, num_patches - 1)]);
  }
  at::Tensor selection = at::zeros({num_patches});
  float* data = selection.data_ptr<float>();
  for (int64_t i = 0; i < masked; ++i) data[order[i]] = 1.0f;
  return selection;
}

at::Tensor PatchMaskToPixels(const at::Tensor& patch_masks, int64_t height, int64_t width,
                             int64_t patch_size) {
  TORCH_CHECK(patch_size > 0 && height % patch_size == 0 && width % patch_size == 0,
              "a ", height, " x ", width, " image does not split into ", patch_size, " x ",
              patch_size, " patches");
  const int64_t rows = height / patch_size, cols = width / patch_size;
  TORCH_CHECK(patch_masks.dim() == 2 && patch_masks.size(1) == rows * cols,
              "patch masks must be [N, ", rows * cols, "] for ", height, " x ", width,
              " images and patch ", patch_size, ", got ", patch_masks.sizes());
  return patch_masks.to(at::kFloat)
      .reshape({-1, 1, rows, cols})
      .repeat_interleave(patch_size, 2)
      .repeat_interleave(patch_size, 3);
}

at::Tensor PixelMaskToPatches(const at::Tensor& masks, int64_t patch_size) {
  TORCH_CHECK(masks.dim() == 4 && masks.size(1) == 1, "masks must be [N, 1, H, W], got ",
              masks.sizes());
  const int64_t height = masks.size(2), width = masks.size(3);
  TORCH_CHECK(patch_size > 0 && height % patch_size == 0 && width % patch_size == 0,
              "a ", height, " x ", width, " mask does not split into ", patch_size, " x ",
              patch_size, " patches");
  const int64_t rows = height / patch_size, cols = width / patch_size;
  return masks.to(at::kFloat)
      .reshape({masks.size(0), rows, patch_size, cols, patch_size})
      .mean({2, 4})
      .reshape({masks.size(0), rows * cols});
}

at::Tensor RandomPatchMask(int64_t height, int64_t width, int64_t patch_size, double ratio,
                           std::mt19937_64& gen) {
  CheckImageSize(height, width);
  TORCH_CHECK(patch_size > 0 && height % patch_size == 0 && width % patch_size == 0,
              "a ", height, " x ", width, " image does not split into ", patch_size, " x ",
              patch_size, " patches");
  const int64_t num_patches = (height / patch_size) * (width / patch_size);
  at::Tensor selection = RandomPatchSelection(num_patches, ratio, gen);
  return PatchMaskToPixels(selection.unsqueeze(0), height, width, patch_size).squeeze(0);
}

at::Tensor FreeFormMask(int64_t height, int64_t width, const StrokeMaskOptions& options,
                        std::mt19937_64& gen) {
  CheckImageSize(height, width);
  TORCH_CHECK(options.min_strokes >= 0 && options.min_strokes <= options.max_strokes,
              "stroke count range [", options.min_strokes, ", ", options.max_strokes,
              "] is invalid");
  TORCH_CHECK(options.min_vertices >= 1 && options.min_vertices <= options.max_vertices,
              "vertex count range [", options.min_vertices, ", ", options.max_vertices,
              "] is invalid");
  TORCH_CHECK(options.min_width > 0.0 && options.min_width <= options.max_width,
              "brush width range [", options.min_width, ", ", options.max_width,
              ") is invalid");
  TORCH_CHECK(options.angle_range >= 0.0 && options.average_radius >= 0.0,
              "angle_range and average_radius must be >= 0, got ", options.angle_range, " and ",
              options.average_radius);
  const double radius = options.average_radius > 0.0
                            ? options.average_radius
                            : std::sqrt(static_cast<double>(height * height + width * width)) / 8;
  at::Tensor mask = at::zeros({height, width});
  auto pixels = mask.accessor<float, 2>();
  const int64_t strokes = UniformInt(gen, options.min_strokes, options.max_strokes);
  for (int64_t s = 0; s < strokes; ++s) {
    const int64_t vertices = UniformInt(gen, options.min_vertices, options.max_vertices);
    const double angle_min = options.mean_angle - Uniform(gen, 0.0, options.angle_range);
    const double angle_max = options.mean_angle + Uniform(gen, 0.0, options.angle_range);
    std::vector<double> xs = {static_cast<double>(UniformInt(gen, 0, width - 1))};
    std::vector<double> ys = {static_cast<double>(UniformInt(gen, 0, height - 1))};
    for (int64_t v = 0; v < vertices; ++v) {
      const double turn = Uniform(gen, angle_min, angle_max);
      const double angle = v % 2 == 0 ? 2.0 * kPi - turn : turn;
      const double length =
          std::clamp(radius + 0.5 * radius * StandardNormal(gen), 0.0, 2.0 * radius);
      xs.push_back(std::clamp(xs.back() + length * std::cos(angle), 0.0, width - 1.0));
      ys.push_back(std::clamp(ys.back() + length * std::sin(angle), 0.0, height - 1.0));
    }
    const double half = 0.5 * Uniform(gen, options.min_width, options.max_width);
    for (size_t k = 0; k + 1 < xs.size(); ++k) {
      const auto lower = [&](double a, double b) {
        return static_cast<int64_t>(std::floor(std::min(a, b) - half));
      };
      const auto upper = [&](double a, double b) {
        return static_cast<int64_t>(std::ceil(std::max(a, b) + half));
      };
      const int64_t x0 = std::max<int64_t>(0, lower(xs[k], xs[k + 1]));
      const int64_t x1 = std::min<int64_t>(width - 1, upper(xs[k], xs[k + 1]));
      const int64_t y0 = std::max<int64_t>(0, lower(ys[k], ys[k + 1]));
      const int64_t y1 = std::min<int64_t>(height - 1, upper(ys[k], ys[k + 1]));
      for (int64_t y = y0; y <= y1; ++y) {
        for (int64_t x = x0; x <= x1; ++x) {
          if (SquaredDistanceToSegment(x, y, xs[k], ys[k], xs[k + 1], ys[k + 1]) <=
              half * half) {
            pixels[y][x] = 1.0f;
          }
        }
      }
    }
  }
  if (UniformUnit(gen) < 0.5) mask = mask.flip({1});
  if (UniformUnit(gen) < 0.5) mask = mask.flip({0});
  return mask.unsqueeze(0).contiguous();
}

absl::StatusOr<MaskKind> ParseMaskKind(const std::string& name) {
  for (MaskKind kind :
       {MaskKind::kCenter, MaskKind::kRectangles, MaskKind::kPatches, MaskKind::kStrokes}) {
    if (name == MaskKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown mask kind \"", name, "\"; expected center, rectangles, patches or strokes"));
}

std::string MaskKindName(MaskKind kind) {
  switch (kind) {
    case MaskKind::kCenter: return "center";
    case MaskKind::kRectangles: return "rectangles";
    case MaskKind::kPatches: return "patches";
    case MaskKind::kStrokes: return "strokes";
  }
  TORCH_CHECK(false, "invalid MaskKind ", static_cast<int>(kind));
}

at::Tensor SampleMask(const MaskOptions& options, int64_t height, int64_t width,
                      std::mt19937_64& gen) {
  switch (options.kind) {
    case MaskKind::kCenter: return CenterSquareMask(height, width, options.center_size);
    case MaskKind::kRectangles:
      return RandomRectangleMask(height, width, options.rectangles, gen);
    case MaskKind::kPatches:
      return RandomPatchMask(height, width, options.patch_size, options.patch_ratio, gen);
    case MaskKind::kStrokes: return FreeFormMask(height, width, options.strokes, gen);
  }
  TORCH_CHECK(false, "invalid MaskKind ", static_cast<int>(options.kind));
}

at::Tensor SampleMasks(const MaskOptions& options, int64_t n, int64_t height, int64_t width,
                       std::mt19937_64& gen) {
  TORCH_CHECK(n >= 0, "mask count must be >= 0, got ", n);
  CheckImageSize(height, width);
  if (options.kind == MaskKind::kCenter) {
    return CenterSquareMask(height, width, options.center_size).expand({n, 1, height, width})
        .contiguous();
  }
  std::vector<at::Tensor> masks;
  masks.reserve(n);
  for (int64_t i = 0; i < n; ++i) masks.push_back(SampleMask(options, height, width, gen));
  return n == 0 ? at::zeros({0, 1, height, width}) : at::stack(masks);
}

at::Tensor IndexedMasks(const MaskOptions& options, uint64_t seed, int64_t first_index,
                        int64_t n, int64_t height, int64_t width) {
  TORCH_CHECK(n >= 0 && first_index >= 0, "mask range [", first_index, ", ", first_index, " + ",
              n, ") is invalid");
  CheckImageSize(height, width);
  std::vector<at::Tensor> masks;
  masks.reserve(n);
  for (int64_t i = first_index; i < first_index + n; ++i) {
    std::mt19937_64 gen(SplitMix64(SplitMix64(seed) + static_cast<uint64_t>(i)));
    masks.push_back(SampleMask(options, height, width, gen));
  }
  return n == 0 ? at::zeros({0, 1, height, width}) : at::stack(masks);
}

at::Tensor ApplyMask(const at::Tensor& images, const at::Tensor& masks, double fill) {
  TORCH_CHECK(images.dim() >= 3, "images must be [C, H, W] or [N, C, H, W], got ",
              images.sizes());
  TORCH_CHECK(masks.size(-1) == images.size(-1) && masks.size(-2) == images.size(-2),
              "masks ", masks.sizes(), " do not match images ", images.sizes());
  const at::Tensor m = masks.to(images.scalar_type());
  return images * (1 - m) + m * fill;
}

}  // namespace sf::vision
