#include "training/distributed.h"

#include <cstdlib>
#include <exception>
#include <utility>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace sf::training {
namespace {

constexpr size_t kBroadcastBufferBytes = size_t{256} << 20;
// A small first bucket starts communication early in the backward pass.
constexpr int64_t kFirstBucketBytes = int64_t{1} << 20;

struct Rendezvous {
  enum class Kind { kTcp, kFile } kind = Kind::kTcp;
  std::string host;
  uint16_t port = 0;
  std::string path;
};

absl::StatusOr<Rendezvous> ParseInitMethod(const std::string& init_method) {
  absl::string_view rest(init_method);
  Rendezvous r;
  if (absl::ConsumePrefix(&rest, "file://")) {
    if (rest.empty() || rest.front() != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "rendezvous '", init_method, "': a file store needs an absolute path, file:///path"));
    }
    r.kind = Rendezvous::Kind::kFile;
    r.path = std::string(rest);
    return r;
  }
  const auto bad = [&init_method] {
    return absl::InvalidArgumentError(absl::StrCat(
        "rendezvous '", init_method, "': expected tcp://host:port (port 1-65535) or "
        "file:///path"));
  };
  if (!absl::ConsumePrefix(&rest, "tcp://")) return bad();
  const size_t colon = rest.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return bad();
  }
  r.host = std::string(rest.substr(0, colon));
  r.port = static_cast<uint16_t>(port);
  return r;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || absl::StartsWith(host, "127.") || host == "::1";
}

// Gloo's transport: $GLOO_SOCKET_IFNAME when set (as in PyTorch), the loopback interface when
// the rendezvous is local, else the address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> GlooDevice(const Rendezvous& r) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (r.kind == Rendezvous::Kind::kTcp && IsLoopback(r.host)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// c10d's messages may span lines; a binary prints errors on one.
std::string OneLine(const char* message) {
  return absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(message), {{"\n", "; "}});
}

}  // namespace

struct DistributedGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

namespace {

// Runs `body`, turning c10d's exceptions into a Status that says who failed doing what.
template <typename Body>
absl::Status Guarded(DistributedGroup& group, const std::string& what, Body&& body) {
  std::string message;
  try {
    body();
    return absl::OkStatus();
  } catch (const c10::Error& e) {
    message = OneLine(e.what_without_backtrace());
  } catch (const std::exception& e) {
    message = OneLine(e.what());
  }
  group.MarkBroken();
  return absl::UnavailableError(absl::StrCat(group.Describe(), ": ", what, " failed: ", message));
}

}  // namespace

absl::Status ValidateDistributedOptions(const DistributedOptions& o) {
  if (o.world_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("world size must be >= 1, got ", o.world_size));
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank must be in [0, ", o.world_size, "), got ", o.rank));
  }
  if (o.timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the distributed timeout must be positive, got ", o.timeout.count(), " ms"));
  }
  if (o.bucket_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the gradient bucket size must be positive, got ", o.bucket_bytes));
  }
  return ParseInitMethod(o.init_method).status();
}

DistributedGroup::DistributedGroup(const DistributedOptions& options, std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

DistributedGroup::~DistributedGroup() {
  if (broken_) {
    // Deliberately never freed (see MarkBroken): the process is about to report and exit.
    impl_->pg.release();
    impl_->store.release();
  }
}

std::string DistributedGroup::Describe() const {
  return absl::StrCat("rank ", options_.rank, " of ", options_.world_size, " (",
                      options_.init_method, ", timeout ", options_.timeout.count() / 1000.0,
                      " s)");
}

absl::StatusOr<std::unique_ptr<DistributedGroup>> DistributedGroup::Join(
    const DistributedOptions& options) {
  if (absl::Status s = ValidateDistributedOptions(options); !s.ok()) return s;
  if (options.world_size == 1) return std::unique_ptr<DistributedGroup>();
  const Rendezvous rendezvous = *ParseInitMethod(options.init_method);
  std::unique_ptr<DistributedGroup> group(
      new DistributedGroup(options, std::make_unique<Impl>()));
  Impl& impl = *group->impl_;
  absl::Status joined = Guarded(
      *group, "joining the group (every rank must start within the timeout, with the same "
      "rendezvous address)", [&] {
    if (rendezvous.kind == Rendezvous::Kind::kTcp) {
      c10d::TCPStoreOptions store_options;
      store_options.port = rendezvous.port;
      store_options.isServer = options.rank == 0;
      store_options.numWorkers = options.world_size;
      // Gloo's rendezvous below waits for every rank with the same timeout; waiting for the
      // workers here as well would double the time a missing rank takes to report.
      store_options.waitWorkers = false;
      store_options.timeout = options.timeout;
      impl.store = c10::make_intrusive<c10d::TCPStore>(rendezvous.host, store_options);
    } else {
      impl.store = c10::make_intrusive<c10d::FileStore>(rendezvous.path, options.world_size);
      impl.store->setTimeout(options.timeout);
    }
    c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> gloo =
        c10d::ProcessGroupGloo::Options::create(options.timeout);
    gloo->devices.push_back(GlooDevice(rendezvous));
    // Buckets are reduced one after another; a second thread would only compete for the cores.
    gloo->threads = 1;
    impl.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl.store, options.rank,
                                                          options.world_size, gloo);
  });
  if (!joined.ok()) return joined;
  return group;
}

absl::Status DistributedGroup::Broadcast(std::vector<at::Tensor> tensors, int root) {
  return Guarded(*this, absl::StrCat("broadcast from rank ", root), [&] {
    c10::NoGradGuard no_grad;
    std::vector<at::Tensor> detached;
    detached.reserve(tensors.size());
    for (const at::Tensor& t : tensors) detached.push_back(t.detach());
    c10d::broadcast_coalesced(impl_->pg, detached, kBroadcastBufferBytes, root);
  });
}

absl::Status DistributedGroup::AllReduceSum(at::Tensor tensor) {
  return Guarded(*this, "all-reduce", [&] {
    std::vector<at::Tensor> tensors{tensor};
    impl_->pg->allreduce(tensors)->wait();
  });
}

absl::Status DistributedGroup::Barrier() {
  return Guarded(*this, "barrier", [&] { impl_->pg->barrier()->wait(); });
}

struct GradientAverager::Bucket {
  std::vector<size_t> params;
  at::Tensor flat;
  size_t pending = 0;
  c10::intrusive_ptr<c10d::Work> work;
};

GradientAverager::GradientAverager(DistributedGroup& group, std::vector<at::Tensor> params,
                                   int64_t bucket_bytes)
    : group_(group) {
  for (at::Tensor& p : params) {
    if (p.requires_grad()) params_.push_back(std::move(p));
  }
  bucket_of_.resize(params_.size());
  offset_of_.resize(params_.size());
  ready_.assign(params_.size(), 0);
  int64_t limit = std::min(kFirstBucketBytes, bucket_bytes);
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const at::Tensor& p = params_[k];
    TORCH_CHECK(p.layout() == c10::kStrided, "gradient averaging needs dense parameters");
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    if (buckets_.empty() || bytes + size > limit ||
        params_[buckets_.back()->params.front()].scalar_type() != p.scalar_type()) {
      if (!buckets_.empty()) limit = bucket_bytes;
      buckets_.push_back(std::make_unique<Bucket>());
      bytes = 0;
    }
    Bucket& bucket = *buckets_.back();
    bucket_of_[k] = buckets_.size() - 1;
    offset_of_[k] = bytes / static_cast<int64_t>(p.element_size());
    bucket.params.push_back(k);
    bytes += size;
  }
  for (auto& bucket : buckets_) {
    int64_t numel = 0;
    for (size_t k : bucket->params) numel += params_[k].numel();
    bucket->flat = at::zeros({numel}, params_[bucket->params.front()].options().requires_grad(false));
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    hooks_.push_back(params_[k].register_hook([this, k](const at::Tensor& grad) {
      OnGradient(k, grad);
    }));
  }
}

GradientAverager::~GradientAverager() {
  for (size_t k = 0; k < params_.size(); ++k) params_[k].remove_hook(hooks_[k]);
  // A bucket still in flight (after a failure) keeps its buffer alive in its Work.
}

void GradientAverager::Arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& bucket : buckets_) {
    bucket->pending = bucket->params.size();
    bucket->work.reset();
  }
  ready_.assign(params_.size(), 0);
  next_bucket_ = 0;
  armed_ = true;
}

void GradientAverager::OnGradient(size_t k, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;
  TORCH_CHECK(!ready_[k], "the gradient of parameter ", k, " arrived twice in one backward pass");
  c10::NoGradGuard no_grad;
  Bucket& bucket = *buckets_[bucket_of_[k]];
  const at::Tensor& p = params_[k];
  at::Tensor slot = bucket.flat.narrow(0, offset_of_[k], p.numel()).view(p.sizes());
  // The hook sees this pass's gradient before autograd adds it to .grad, which holds what the
  // update's earlier micro-batches accumulated.
  const at::Tensor& accumulated = p.grad();
  if (accumulated.defined()) {
    at::add_out(slot, accumulated, grad);
  } else {
    slot.copy_(grad);
  }
  ready_[k] = 1;
  if (--bucket.pending == 0) LaunchReadyBuckets();
}

void GradientAverager::LaunchReadyBuckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_]->pending == 0) {
    Bucket& bucket = *buckets_[next_bucket_++];
    std::vector<at::Tensor> tensors{bucket.flat};
    bucket.work = group_.impl().pg->allreduce(tensors);
  }
}

absl::Status GradientAverager::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_CHECK(armed_, "GradientAverager::Finish without Arm");
  armed_ = false;
  return Guarded(group_, "averaging gradients", [&] {
    c10::NoGradGuard no_grad;
    // Parameters this rank did not use in the pass still take part, with what they have.
    for (size_t k = 0; k < params_.size(); ++k) {
      if (ready_[k]) continue;
      Bucket& bucket = *buckets_[bucket_of_[k]];
      at::Tensor slot = bucket.flat.narrow(0, offset_of_[k], params_[k].numel());
      const at::Tensor& accumulated = params_[k].grad();
      if (accumulated.defined()) {
        slot.copy_(accumulated.reshape({-1}));
      } else {
        slot.zero_();
      }
      ready_[k] = 1;
      --bucket.pending;
    }
    LaunchReadyBuckets();
    const double inverse_world = 1.0 / group_.world_size();
    for (auto& bucket : buckets_) {
      bucket->work->wait();
      bucket->flat.mul_(inverse_world);
      for (size_t k : bucket->params) {
        at::Tensor& p = params_[k];
        at::Tensor mean = bucket->flat.narrow(0, offset_of_[k], p.numel()).view(p.sizes());
        if (p.grad().defined()) {
          p.mutable_grad().copy_(mean);
        } else {
          p.mutable_grad() = mean.clone();
        }
      }
    }
  });
}

std::vector<int64_t> ShardIndices(absl::Span<const int64_t> global, int rank, int world_size) {
  std::vector<int64_t> shard;
  shard.reserve(global.size() / world_size + 1);
  for (size_t i = rank; i < global.size(); i += world_size) shard.push_back(global[i]);
  return shard;
}

absl::StatusOr<int64_t> PerRankBatchSize(int64_t global_batch, int world_size) {
  if (world_size < 1 || global_batch < world_size || global_batch % world_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch_size=", global_batch, ": the batch size is global (summed over the processes) "
        "and must be a positive multiple of the world size ", world_size));
  }
  return global_batch / world_size;
}

}  // namespace sf::training
