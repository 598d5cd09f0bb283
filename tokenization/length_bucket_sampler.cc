#include "tokenization/length_bucket_sampler.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sf::tokenization {
namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) by rejection, without modulo bias.
  uint64_t Below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return x % bound;
  }

 private:
  uint64_t state_;
};

std::vector<std::vector<int64_t>> Chunk(const std::vector<int64_t>& order, size_t begin, size_t end,
                                        int64_t batch_size, bool drop_last) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t b = begin; b < end; b += batch_size) {
    const size_t e = std::min(end, b + static_cast<size_t>(batch_size));
    if (drop_last && e - b < static_cast<size_t>(batch_size)) break;
    batches.emplace_back(order.begin() + b, order.begin() + e);
  }
  return batches;
}

}  // namespace

void DeterministicShuffle(std::vector<int64_t>* values, uint64_t seed, uint64_t epoch) {
  SplitMix64 rng(seed * 0x2545F4914F6CDD1DULL + epoch);
  for (size_t i = values->size(); i > 1; --i) {
    std::swap((*values)[i - 1], (*values)[rng.Below(i)]);
  }
}

absl::StatusOr<LengthBucketSampler> LengthBucketSampler::Create(
    std::vector<int64_t> lengths, const LengthBucketSamplerOptions& options) {
  if (options.batch_size < 1 || options.pool_batches < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size (", options.batch_size,
                                                   ") and pool_batches (", options.pool_batches,
                                                   ") must be at least 1"));
  }
  if (options.batch_size > std::numeric_limits<int64_t>::max() / options.pool_batches) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size (", options.batch_size,
                                                   ") times pool_batches (", options.pool_batches,
                                                   "), the examples of a pool, overflows int64"));
  }
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("length of example ", i, " is negative (", lengths[i], ")"));
    }
  }
  return LengthBucketSampler(std::move(lengths), options);
}

std::vector<std::vector<int64_t>> LengthBucketSampler::Batches(uint64_t epoch) const {
  std::vector<int64_t> order(lengths_.size());
  std::iota(order.begin(), order.end(), 0);
  DeterministicShuffle(&order, options_.seed, 2 * epoch);
  const size_t pool = static_cast<size_t>(options_.batch_size * options_.pool_batches);
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += pool) {
    const size_t end = std::min(order.size(), begin + pool);
    // Stable, so equal lengths keep their shuffled order.
    std::stable_sort(order.begin() + begin, order.begin() + end,
                     [&](int64_t a, int64_t b) { return lengths_[a] < lengths_[b]; });
    for (auto& batch : Chunk(order, begin, end, options_.batch_size, options_.drop_last)) {
      batches.push_back(std::move(batch));
    }
  }
  std::vector<int64_t> perm(batches.size());
  std::iota(perm.begin(), perm.end(), 0);
  DeterministicShuffle(&perm, options_.seed, 2 * epoch + 1);
  std::vector<std::vector<int64_t>> shuffled;
  shuffled.reserve(batches.size());
  for (int64_t p : perm) shuffled.push_back(std::move(batches[p]));
  return shuffled;
}

std::vector<std::vector<int64_t>> RandomBatches(int64_t n, int64_t batch_size, uint64_t seed,
                                                uint64_t epoch) {
  std::vector<int64_t> order(std::max<int64_t>(0, n));
  std::iota(order.begin(), order.end(), 0);
  DeterministicShuffle(&order, seed, epoch);
  return Chunk(order, 0, order.size(), std::max<int64_t>(1, batch_size), /*drop_last=*/false);
}

double PaddingFraction(const std::vector<std::vector<int64_t>>& batches,
                       absl::Span<const int64_t> lengths) {
  int64_t real = 0, slots = 0;
  for (const std::vector<int64_t>& batch : batches) {
    int64_t longest = 0;
    for (int64_t i : batch) {
      longest = std::max(longest, lengths[i]);
      real += lengths[i];
    }
    slots += longest * static_cast<int64_t>(batch.size());
  }
  return slots == 0 ? 0.0 : static_cast<double>(slots - real) / static_cast<double>(slots);
}

}  // namespace sf::tokenization
