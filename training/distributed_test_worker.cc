// One rank of the data-parallel tests (distributed_test.cc starts several): trains a small
// regressor (with --dropout, a different mask on every rank) through RunTrainLoop on a fixed data set, taking its shard of every
// global batch, and rank 0 writes the final parameters as safetensors. --die_at_step and
// --hang_at_step make rank 1 fail in the middle of the run, as a crashed or stuck peer would.
//
//   distributed_test_worker --world_size=2 --rank=0 --dist_init=tcp://127.0.0.1:29500
//       --per_rank_batch=4 --steps=6 --out=/tmp/params.safetensors
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "training/distributed.h"
#include "training/distributed_flags.h"
#include "training/safetensors.h"
#include "training/train_loop.h"

ABSL_FLAG(int64_t, steps, 6, "Updates.");
ABSL_FLAG(int64_t, per_rank_batch, 4, "Examples per rank and micro-batch.");
ABSL_FLAG(int, grad_accum, 1, "Micro-batches per update.");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd or adamw.");
ABSL_FLAG(std::string, out, "", "Rank 0 writes the final parameters here (safetensors).");
ABSL_FLAG(std::string, checkpoint_dir, "", "Passed to the loop.");
ABSL_FLAG(int64_t, die_at_step, -1, "Rank 1 kills itself (SIGKILL) at this update.");
ABSL_FLAG(int64_t, hang_at_step, -1, "Rank 1 stops responding at this update.");
ABSL_FLAG(double, dropout, 0.0, "Dropout on the hidden layer (a different mask on every rank).");
ABSL_FLAG(bool, resume, false, "Continue from --checkpoint_dir.");

namespace {

struct RegressorImpl : torch::nn::Module {
  RegressorImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(8, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
    // Never used by forward: its gradient must stay consistent across the ranks too.
    unused = register_module("unused", torch::nn::Linear(2, 2));
  }
  torch::Tensor forward(const torch::Tensor& x, double dropout) {
    return fc2(torch::dropout(torch::tanh(fc1(x)), dropout, is_training()));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, unused{nullptr};
};
TORCH_MODULE(Regressor);

constexpr int64_t kExamples = 96;

int Fail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  torch::set_num_threads(1);
  absl::StatusOr<sf::training::DistributedOptions> options =
      sf::training::DistributedOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<std::unique_ptr<sf::training::DistributedGroup>> group =
      sf::training::DistributedGroup::Join(*options);
  if (!group.ok()) return Fail(group.status());

  std::mt19937 gen(42);
  std::normal_distribution<float> normal;
  std::vector<float> values(kExamples * 8);
  for (float& v : values) v = normal(gen);
  const torch::Tensor x = torch::from_blob(values.data(), {kExamples, 8}).clone();
  const torch::Tensor y = (torch::sin(x.select(1, 0)) + 0.5 * x.select(1, 3)).unsqueeze(1);

  // A different initialisation on every rank: the loop's broadcast from rank 0 must fix it.
  torch::manual_seed(7 + options->rank);
  Regressor model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (absl::GetFlag(FLAGS_optimizer) == "adamw") {
    optimizer = std::make_unique<torch::optim::AdamW>(
        model->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(),
                                                    torch::optim::SGDOptions(0.1));
  }

  sf::training::TrainLoopOptions loop;
  loop.max_steps = absl::GetFlag(FLAGS_steps);
  loop.grad_accum_steps = absl::GetFlag(FLAGS_grad_accum);
  loop.clip_grad_norm = 1.0;
  loop.log_every = 1;
  loop.show_progress = false;
  loop.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  loop.resume = absl::GetFlag(FLAGS_resume);
  const double dropout = absl::GetFlag(FLAGS_dropout);
  loop.distributed = group->get();
  const int64_t per_rank = absl::GetFlag(FLAGS_per_rank_batch);
  const int64_t die_at = absl::GetFlag(FLAGS_die_at_step);
  const int64_t hang_at = absl::GetFlag(FLAGS_hang_at_step);
  sf::training::TrainCallbacks callbacks;
  callbacks.train_step = [&](sf::training::TrainContext& ctx) {
    if (ctx.rank == 1 && ctx.step == die_at) raise(SIGKILL);
    if (ctx.rank == 1 && ctx.step == hang_at) {
      for (;;) pause();
    }
    const int64_t global = per_rank * ctx.world_size;
    std::vector<int64_t> batch(global);
    const int64_t first = (ctx.step * ctx.grad_accum_steps + ctx.micro_step) * global;
    for (int64_t i = 0; i < global; ++i) batch[i] = (first + i) % kExamples;
    const std::vector<int64_t> shard = sf::training::ShardIndices(batch, ctx.rank, ctx.world_size);
    const torch::Tensor index = torch::tensor(shard, torch::kLong);
    const torch::Tensor loss = torch::nn::functional::mse_loss(
        model->forward(x.index_select(0, index), dropout), y.index_select(0, index));
    return sf::training::StepOutput{loss, static_cast<int64_t>(shard.size())};
  };
  absl::StatusOr<sf::training::TrainResult> result =
      sf::training::RunTrainLoop(*model, *optimizer, nullptr, loop, callbacks);
  if (!result.ok()) return Fail(result.status());
  const std::string out = absl::GetFlag(FLAGS_out);
  if (options->rank == 0 && !out.empty()) {
    if (absl::Status s = sf::training::ExportSafetensors(*model, out); !s.ok()) return Fail(s);
  }
  std::cerr << "rank " << options->rank << " done: " << result->steps << " steps, loss "
            << result->last_train_loss << "\n";
  return 0;
}
