// Data-parallel training across processes on LibTorch's c10d with the Gloo backend: a group of
// processes joined through a rendezvous store, collectives that fail with a Status instead of
// hanging, and gradient averaging bucketed and overlapped with the backward pass.
//
//   DistributedOptions options{.world_size = 2, .rank = rank,
//                              .init_method = "tcp://127.0.0.1:29500"};
//   absl::StatusOr<std::unique_ptr<DistributedGroup>> group = DistributedGroup::Join(options);
//   // rank 0 serves the TCP store; every rank waits at most options.timeout for the others
//   loop_options.distributed = group->get();  // RunTrainLoop does the rest
//
// With world_size 1 Join returns a null group and nothing distributed is created, so a binary
// runs unchanged as a single process.
//
// Each rank trains on its own disjoint shard of every global batch (ShardIndices) and the
// per-rank losses are means, so averaging the gradients over the ranks gives the gradient of the
// mean over the global batch: N processes with batch B/N take the same steps as one process
// with batch B, up to float rounding.
//
// Failures: a peer that dies closes its connections and the others' next collective fails at
// once; a peer that hangs, or never arrives at the rendezvous, fails them after
// options.timeout. Either way every call here returns an error naming this rank, the
// rendezvous address and the timeout; nothing throws.
#ifndef SCRATCHFORMER_TRAINING_DISTRIBUTED_H_
#define SCRATCHFORMER_TRAINING_DISTRIBUTED_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace sf::training {

struct DistributedOptions {
  int world_size = 1;
  int rank = 0;
  // tcp://host:port: rank 0 serves a c10d::TCPStore on the port, the others connect to it.
  // file:///path: a c10d::FileStore on a file system every rank sees (use a fresh path per run).
  std::string init_method = "tcp://127.0.0.1:29500";
  // How long the rendezvous, and each collective, may wait for a peer.
  std::chrono::milliseconds timeout = std::chrono::seconds(600);
  // Gradients are averaged in buckets of about this many bytes.
  int64_t bucket_bytes = 25 << 20;
};

// InvalidArgument naming the bad value: world_size < 1, rank outside [0, world_size), an
// init_method that is neither tcp://host:port nor file:///path, a timeout <= 0.
absl::Status ValidateDistributedOptions(const DistributedOptions& options);

// A joined group of processes; collectives must be called in the same order on every rank.
class DistributedGroup {
 public:
  // Null for world_size 1. Unavailable/DeadlineExceeded when the rendezvous fails.
  static absl::StatusOr<std::unique_ptr<DistributedGroup>> Join(const DistributedOptions& options);
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup&) = delete;
  DistributedGroup& operator=(const DistributedGroup&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const DistributedOptions& options() const { return options_; }
  // "rank 1 of 2 (tcp://127.0.0.1:29500, timeout 600 s)", for messages.
  std::string Describe() const;

  // Overwrites `tensors` on every rank with root's (coalesced into few messages).
  absl::Status Broadcast(std::vector<at::Tensor> tensors, int root = 0);
  // Sums `tensor` in place over the ranks.
  absl::Status AllReduceSum(at::Tensor tensor);
  absl::Status Barrier();

  // c10d handle for GradientAverager; opaque so that this header needs no c10d headers.
  struct Impl;
  Impl& impl() { return *impl_; }
  // After a failed collective the group is unusable: the destructor then leaves c10d's
  // objects to process exit instead of draining queued collectives, each of which could wait
  // for the full timeout on a stuck peer.
  void MarkBroken() { broken_ = true; }

 private:
  DistributedGroup(const DistributedOptions& options, std::unique_ptr<Impl> impl);

  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
  bool broken_ = false;
};

// Averages the gradients of `params` over the group during backward. Gradient hooks copy each
// gradient into a flat bucket as autograd produces it; a bucket whose gradients are all there
// is summed over the ranks on Gloo's thread while backward goes on. Buckets start in a fixed
// order (the parameters' reverse order, roughly the order backward reaches them), so every
// rank issues the same collectives in the same sequence.
//
//   averager->Arm();           // before the backward of the update's last micro-batch
//   loss.backward();
//   absl::Status s = averager->Finish();  // waits; every .grad is now the mean over the ranks
//
// Backward passes without Arm() (earlier micro-batches of gradient accumulation) only
// accumulate locally; the armed pass reduces the accumulated sum. A parameter no rank used
// ends with a zero gradient.
class GradientAverager {
 public:
  GradientAverager(DistributedGroup& group, std::vector<at::Tensor> params, int64_t bucket_bytes);
  ~GradientAverager();  // removes the hooks
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;

  void Arm();
  absl::Status Finish();
  int num_buckets() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Bucket;
  void OnGradient(size_t param, const at::Tensor& grad);
  void LaunchReadyBuckets();  // call with mutex_ held

  DistributedGroup& group_;
  std::vector<at::Tensor> params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<size_t> bucket_of_;   // param -> bucket
  std::vector<int64_t> offset_of_;  // param -> offset in its bucket
  std::vector<char> ready_;         // param -> its gradient is in the bucket
  std::vector<unsigned> hooks_;
  std::mutex mutex_;
  bool armed_ = false;
  size_t next_bucket_ = 0;  // buckets before it are launched
};

// The positions of `global` rank `rank` of `world_size` trains on: rank, rank + world_size, ...
// Disjoint across ranks, together all of `global`; strided so that a length-sorted batch gives
// every rank similar lengths.
std::vector<int64_t> ShardIndices(absl::Span<const int64_t> global, int rank, int world_size);

// The per-rank batch for a global batch: InvalidArgument (naming both) unless world_size
// divides it.
absl::StatusOr<int64_t> PerRankBatchSize(int64_t global_batch, int world_size);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_DISTRIBUTED_H_
