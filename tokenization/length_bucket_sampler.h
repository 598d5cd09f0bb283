// Batches of example indices that group similar lengths, so padded batches waste little.
//
// Each epoch: the indices are shuffled, cut into pools of batch_size * pool_batches examples,
// each pool is sorted by length and cut into batches, and the batches of all pools are
// shuffled (so consecutive steps do not walk from short to long). Everything is drawn from a
// generator seeded by (seed, epoch): the same seed gives the same batches on any machine.
//
//   absl::StatusOr<LengthBucketSampler> sampler = LengthBucketSampler::Create(
//       lengths, LengthBucketSamplerOptions().BatchSize(32).Seed(7));
//   for (const std::vector<int64_t>& batch : sampler->Batches(epoch)) { ... }
//   double waste = PaddingFraction(sampler->Batches(epoch), lengths);   // e.g. 0.03
//   double baseline = PaddingFraction(RandomBatches(lengths.size(), 32, 7, 0), lengths);
#ifndef SCRATCHFORMER_TOKENIZATION_LENGTH_BUCKET_SAMPLER_H_
#define SCRATCHFORMER_TOKENIZATION_LENGTH_BUCKET_SAMPLER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace sf::tokenization {

struct LengthBucketSamplerOptions {
  int64_t batch_size = 32;
  int64_t pool_batches = 50;  // batches per sorted pool: larger pools pad less, mix less
  bool drop_last = false;     // drop each pool's final short batch
  uint64_t seed = 0;

  LengthBucketSamplerOptions& BatchSize(int64_t v) {
    batch_size = v;
    return *this;
  }
  LengthBucketSamplerOptions& PoolBatches(int64_t v) {
    pool_batches = v;
    return *this;
  }
  LengthBucketSamplerOptions& DropLast(bool v) {
    drop_last = v;
    return *this;
  }
  LengthBucketSamplerOptions& Seed(uint64_t v) {
    seed = v;
    return *this;
  }
};

class LengthBucketSampler {
 public:
  // InvalidArgument when batch_size or pool_batches < 1, their product overflows int64, or a
  // length is negative.
  static absl::StatusOr<LengthBucketSampler> Create(std::vector<int64_t> lengths,
                                                    const LengthBucketSamplerOptions& options);

  // The batches of `epoch`; without drop_last every index appears exactly once.
  std::vector<std::vector<int64_t>> Batches(uint64_t epoch) const;

  int64_t num_examples() const { return static_cast<int64_t>(lengths_.size()); }
  const LengthBucketSamplerOptions& options() const { return options_; }

 private:
  LengthBucketSampler(std::vector<int64_t> lengths, const LengthBucketSamplerOptions& options)
      : lengths_(std::move(lengths)), options_(options) {}

  std::vector<int64_t> lengths_;
  LengthBucketSamplerOptions options_;
};

// The baseline: a seeded shuffle of 0..n-1 cut into batches (the last may be short).
std::vector<std::vector<int64_t>> RandomBatches(int64_t n, int64_t batch_size, uint64_t seed,
                                                uint64_t epoch);

// Padding slots over all slots when each batch is padded to its longest member:
// sum_b (|b| * max_len(b) - sum len) / sum_b |b| * max_len(b); 0 for no tokens.
double PaddingFraction(const std::vector<std::vector<int64_t>>& batches,
                       absl::Span<const int64_t> lengths);

// Fisher-Yates with a SplitMix64 stream seeded by (seed, epoch): the same on every platform,
// unlike std::shuffle whose algorithm the standard leaves open.
void DeterministicShuffle(std::vector<int64_t>* values, uint64_t seed, uint64_t epoch);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_LENGTH_BUCKET_SAMPLER_H_
