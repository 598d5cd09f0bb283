// What RunTrainLoop costs over a hand-written loop doing the same updates (same model, data,
// AdamW, clipping and schedule): the loss read-back, bookkeeping, progress and log lines.
//
//   bazel run //training:train_loop_benchmark
#include <benchmark/benchmark.h>

#include <torch/nn/modules/linear.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include "training/lr_schedule.h"
#include "training/train_loop.h"

namespace sf::training {
namespace {

constexpr int64_t kSteps = 50;
constexpr int64_t kBatch = 64;
constexpr int64_t kWidth = 256;

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(kWidth, kWidth));
    fc2 = register_module("fc2", torch::nn::Linear(kWidth, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

const LrScheduleOptions kSchedule = {.peak_lr = 1e-3, .warmup_steps = 5, .total_steps = kSteps};

void BM_HandWrittenLoop(benchmark::State& state) {
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({kBatch, kWidth}), y = torch::randn({kBatch, 1});
  for (auto _ : state) {
    Mlp model;
    torch::optim::AdamW adamw(model->parameters());
    LrSchedule schedule(kSchedule);
    for (int64_t step = 0; step < kSteps; ++step) {
      adamw.zero_grad();
      torch::Tensor loss = (model->forward(x) - y).pow(2).mean();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
      schedule.Apply(adamw, step);
      adamw.step();
    }
    benchmark::DoNotOptimize(model->fc1->weight.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
}
BENCHMARK(BM_HandWrittenLoop)->Unit(benchmark::kMillisecond);

void BM_RunTrainLoop(benchmark::State& state) {
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({kBatch, kWidth}), y = torch::randn({kBatch, 1});
  for (auto _ : state) {
    Mlp model;
    torch::optim::AdamW adamw(model->parameters());
    LrSchedule schedule(kSchedule);
    TrainCallbacks cb;
    cb.train_step = [&](TrainContext&) {
      return StepOutput{(model->forward(x) - y).pow(2).mean(), kBatch};
    };
    TrainLoopOptions options = {.max_steps = kSteps, .clip_grad_norm = 1.0, .log_every = 10,
                                .show_progress = false};
    absl::StatusOr<TrainResult> r = RunTrainLoop(*model, adamw, &schedule, options, cb);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(model->fc1->weight.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
}
BENCHMARK(BM_RunTrainLoop)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sf::training
