#include "vision/neighbour_fill.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "absl/strings/str_cat.h"
#include "training/crc32c.h"

namespace sf::vision {
namespace {

// Queries searched at once: at most 32, and fewer when their [queries, candidates, C*H*W]
// candidate pixels would pass gather_bytes (32 x 400 candidates of 28 x 28 pixels take
// 40 MB, within the default 64 MB).
constexpr int64_t kMaxChunk = 32;

int64_t CoarseBlock(int64_t height, int64_t width) {
  for (int64_t f : {4, 2}) {
    if (height % f == 0 && width % f == 0) return f;
  }
  return 1;
}

}  // namespace

NeighbourFill::NeighbourFill(const at::Tensor& database, const NeighbourFillOptions& options)
    : options_(options) {
  TORCH_CHECK(database.defined() && database.dim() == 4 && database.size(0) > 0 &&
                  database.numel() > 0,
              "NeighbourFill: the database must be [N, C, H, W] with N >= 1, got ",
              database.defined() ? database.sizes() : at::IntArrayRef{});
  const int64_t n = database.size(0);
  TORCH_CHECK(options.k >= 1 && options.k <= n - 1, "NeighbourFill: k must be in [1, ", n - 1,
              "] for a database of ", n, " images (one may be excluded), got ", options.k);
  TORCH_CHECK(options.candidates >= options.k + 1, "NeighbourFill: candidates (",
              options.candidates, ") must exceed k (", options.k, ")");
  TORCH_CHECK(options.temperature > 0 && std::isfinite(options.temperature),
              "NeighbourFill: temperature must be positive, got ", options.temperature);
  TORCH_CHECK(options.gather_bytes >= 1, "NeighbourFill: gather_bytes must be positive, got ",
              options.gather_bytes);
  channels_ = database.size(1);
  height_ = database.size(2);
  width_ = database.size(3);
  block_ = CoarseBlock(height_, width_);
  const at::Tensor images = database.detach().to(at::kFloat).contiguous();
  flat_ = images.reshape({n, -1});
  mean_image_ = flat_.mean(0);
  const at::Tensor blocks = at::avg_pool2d(images, block_).reshape({n, -1});
  coarse_ = at::cat({blocks.square(), blocks}, 1).t().contiguous();
}

at::Tensor NeighbourFill::Predict(const at::Tensor& images, const at::Tensor& masks,
                                  const at::Tensor& exclude) const {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == channels_ && images.size(2) == height_ &&
                  images.size(3) == width_,
              "NeighbourFill: images must be [B, ", channels_, ", ", height_, ", ", width_,
              "] like the database, got ", images.sizes());
  const int64_t batch = images.size(0);
  TORCH_CHECK(masks.dim() == 4 && masks.size(0) == batch && masks.size(1) == 1 &&
                  masks.size(2) == height_ && masks.size(3) == width_,
              "NeighbourFill: masks must be [", batch, ", 1, ", height_, ", ", width_, "], got ",
              masks.sizes());
  if (exclude.defined()) {
    TORCH_CHECK(exclude.dim() == 1 && exclude.size(0) == batch &&
                    exclude.scalar_type() == at::kLong,
                "NeighbourFill: exclude must be int64 [", batch, "], got ", exclude.sizes(), " ",
                exclude.scalar_type());
    if (batch > 0) {
      TORCH_CHECK(exclude.min().item<int64_t>() >= -1 && exclude.max().item<int64_t>() < size(),
                  "NeighbourFill: exclude holds an index outside [-1, ", size(), ")");
    }
  }
  at::NoGradGuard no_grad;
  const at::Tensor x = images.detach().to(at::kFloat);
  const at::Tensor known = (masks.detach() <= 0.5).to(at::kFloat);
  const int64_t candidate_bytes =
      std::min(options_.candidates, size()) * flat_.size(1) * int64_t{sizeof(float)};
  const int64_t chunk =
      std::clamp<int64_t>(options_.gather_bytes / candidate_bytes, 1, kMaxChunk);
  std::vector<at::Tensor> chunks;
  for (int64_t begin = 0; begin < batch; begin += chunk) {
    const int64_t end = std::min(batch, begin + chunk);
    chunks.push_back(PredictChunk(x.slice(0, begin, end), known.slice(0, begin, end),
                                  exclude.defined() ? exclude.slice(0, begin, end) : exclude));
  }
  if (chunks.empty()) return at::empty_like(images);
  return at::cat(chunks).to(images.dtype());
}

at::Tensor NeighbourFill::Fill(const at::Tensor& images, const at::Tensor& masks,
                               const at::Tensor& exclude) const {
  return images * (1 - masks) + Predict(images, masks, exclude) * masks;
}

at::Tensor NeighbourFill::PredictChunk(const at::Tensor& images, const at::Tensor& known,
                                       const at::Tensor& exclude) const {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const int64_t b = images.size(0);
  const int64_t n = size();
  const at::Tensor known_all = known.expand_as(images);
  const at::Tensor weights = known_all.reshape({b, -1});     // [b, D]
  const at::Tensor query = (images * known_all).reshape({b, -1});
  const at::Tensor known_count = weights.sum(1, /*keepdim=*/true);  // [b, 1]
  const bool excluding = exclude.defined();

  at::Tensor candidates;  // [b, m] database indices
  if (options_.candidates < n) {
    // Stage 1: sum over blocks of v (q - y)^2 = const - 2 sum v q y + sum v y^2, with v the
    // block's known fraction, q the mean of its known pixels, y the database block mean.
    const at::Tensor known_blocks = at::avg_pool2d(known, block_);  // [b, 1, h, w]
    const at::Tensor q = at::avg_pool2d(images * known, block_) / known_blocks.clamp_min(1e-12);
    const at::Tensor v_flat = known_blocks.expand({b, channels_, -1, -1}).reshape({b, -1});
    const at::Tensor lhs = at::cat({v_flat, -2 * v_flat * q.reshape({b, -1})}, 1);
    at::Tensor distances = at::mm(lhs, coarse_);  // [b, N]
    if (excluding) {
      const at::Tensor rows = (exclude >= 0).nonzero().squeeze(1);
      distances.index_put_({rows, exclude.index_select(0, rows)}, kInf);
    }
    candidates =
        std::get<1>(distances.topk(options_.candidates, 1, /*largest=*/false, /*sorted=*/false));
  } else {
    candidates = at::arange(n, images.options().dtype(at::kLong)).expand({b, n});
  }
  const int64_t m = candidates.size(1);

  // Stage 2: the exact mean squared distance over the known pixels, gathering at most
  // gather_bytes of candidate images at a time.
  const int64_t dim = flat_.size(1);
  const int64_t step = std::max<int64_t>(
      1, options_.gather_bytes / (b * dim * static_cast<int64_t>(sizeof(float))));
  at::Tensor distances = at::empty({b, m}, images.options());
  for (int64_t begin = 0; begin < m; begin += step) {
    const int64_t end = std::min(m, begin + step);
    const at::Tensor pixels =
        flat_.index_select(0, candidates.slice(1, begin, end).reshape(-1))
            .reshape({b, end - begin, dim});
    distances.slice(1, begin, end)
        .copy_((pixels - query.unsqueeze(1)).square_().mul_(weights.unsqueeze(1)).sum(2));
  }
  distances.div_(known_count.clamp_min(1));  // [b, m]
  if (excluding) distances.masked_fill_(candidates == exclude.unsqueeze(1), kInf);
  auto [nearest, which] = distances.topk(options_.k, 1, /*largest=*/false);
  const at::Tensor w = at::softmax(-nearest / options_.temperature, 1);  // [b, k]
  const at::Tensor chosen =
      flat_.index_select(0, candidates.gather(1, which).reshape(-1)).reshape({b, options_.k, dim});
  const at::Tensor mean = (chosen * w.unsqueeze(2)).sum(1);  // [b, D]
  // Nothing known: every database image is as near as any other.
  const at::Tensor prediction =
      at::where(known_count == 0, mean_image_.unsqueeze(0).expand_as(mean), mean);
  return prediction.reshape(images.sizes());
}

std::string ImagesFingerprint(const at::Tensor& images) {
  TORCH_CHECK(images.defined() && images.dim() == 4,
              "ImagesFingerprint: images must be [N, C, H, W], got ",
              images.defined() ? images.sizes() : at::IntArrayRef{});
  const at::Tensor pixels = images.detach().to(at::kFloat).contiguous();
  char crc[16];
  std::snprintf(crc, sizeof(crc), "%08x",
                training::Crc32c(pixels.data_ptr<float>(), pixels.numel() * sizeof(float)));
  return absl::StrCat(images.size(0), "x", images.size(1), "x", images.size(2), "x",
                      images.size(3), ":", crc);
}

}  // namespace sf::vision
