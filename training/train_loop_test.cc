#include "training/train_loop.h"

#include <signal.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "training/checkpoint.h"
#include "training/file_io.h"
#include "training/optimizer.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

struct RegressorImpl : torch::nn::Module {
  explicit RegressorImpl(double dropout) {
    fc1 = register_module("fc1", torch::nn::Linear(4, 16));
    drop = register_module("drop", torch::nn::Dropout(dropout));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(drop(torch::tanh(fc1(x)))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(Regressor);

// A fixed data set made without LibTorch's generator, so building it never shifts the
// random stream the runs under test use.
struct Data {
  torch::Tensor x, y, valid_x, valid_y;
  Data() {
    std::mt19937 gen(42);
    std::normal_distribution<float> normal;
    std::vector<float> values(320 * 4);
    for (float& v : values) v = normal(gen);
    torch::Tensor all = torch::from_blob(values.data(), {320, 4}).clone();
    torch::Tensor target =
        torch::sin(all.select(1, 0)) + 0.5 * all.select(1, 1) - 0.3 * all.select(1, 3);
    x = all.slice(0, 0, 256);
    y = target.slice(0, 0, 256).unsqueeze(1);
    valid_x = all.slice(0, 256);
    valid_y = target.slice(0, 256).unsqueeze(1);
  }
};

const Data& TheData() {
  static const Data* data = new Data();
  return *data;
}

std::string FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("train_loop_" + name);
  fs::remove_all(dir);
  return dir.string();
}

torch::Tensor FlatParameters(const torch::nn::Module& m) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : m.parameters()) flat.push_back(p.detach().reshape({-1}).clone());
  return torch::cat(flat);
}

struct TrainRun {
  std::vector<double> losses;
  torch::Tensor params;
  absl::StatusOr<TrainResult> result = absl::UnknownError("not run");
};

// Builds a fresh model and AdamW (LibTorch seeded with `init_seed`), then trains.
TrainRun Train(TrainLoopOptions options, uint64_t init_seed = 7, int64_t schedule_steps = 12,
          std::function<void(int64_t)> during_step = nullptr) {
  torch::manual_seed(init_seed);
  Regressor model(0.1);
  auto adamw = MakeAdamW(*model, {.lr = 1e-2, .weight_decay = 0.01});
  LrSchedule schedule({.peak_lr = 1e-2, .warmup_steps = 2, .total_steps = schedule_steps,
                       .decay = LrDecay::kCosine, .min_lr_ratio = 0.1});
  TrainRun run;
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext& ctx) {
    if (during_step) during_step(ctx.step);
    std::uniform_int_distribution<int64_t> pick(0, 255);
    std::vector<int64_t> rows(16);
    for (int64_t& r : rows) r = pick(ctx.rng);
    torch::Tensor idx = torch::tensor(rows);
    torch::Tensor pred = model->forward(TheData().x.index_select(0, idx));
    return StepOutput{(pred - TheData().y.index_select(0, idx)).pow(2).mean(), 16};
  };
  cb.evaluate = [&](EvalContext&) {
    const double loss =
        (model->forward(TheData().valid_x) - TheData().valid_y).pow(2).mean().item<double>();
    return Metrics{{"loss", loss}};
  };
  cb.on_step = [&](const StepReport& r) { run.losses.push_back(r.loss); };
  options.show_progress = false;
  options.config = {{"hidden", 16}, {"dropout", 0.1}};
  run.result = RunTrainLoop(*model, *adamw, &schedule, options, cb);
  run.params = FlatParameters(*model);
  return run;
}

TEST(TrainLoopTest, LossFallsOnATinyModel) {
  TrainRun run = Train({.max_steps = 80, .eval_every = 20}, 7, 80);
  ASSERT_TRUE(run.result.ok()) << run.result.status();
  ASSERT_EQ(run.losses.size(), 80u);
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) {
    first += run.losses[i];
    last += run.losses[70 + i];
  }
  EXPECT_LT(last, 0.25 * first) << "first 10 steps " << first / 10 << ", last 10 " << last / 10;
  EXPECT_EQ(run.result->steps, 80);
  EXPECT_EQ(run.result->stop_reason, StopReason::kMaxSteps);
  EXPECT_LT(run.result->last_eval.at("loss"), 0.5 * first / 10);
}

TEST(TrainLoopTest, SameSeedGivesBitwiseIdenticalLosses) {
  TrainRun a = Train({.max_steps = 12, .eval_every = 4, .seed = 3});
  TrainRun b = Train({.max_steps = 12, .eval_every = 4, .seed = 3});
  ASSERT_TRUE(a.result.ok() && b.result.ok());
  ASSERT_EQ(a.losses.size(), 12u);
  EXPECT_EQ(a.losses, b.losses);  // exact double equality
  EXPECT_TRUE(torch::equal(a.params, b.params));
  TrainRun c = Train({.max_steps = 12, .eval_every = 4, .seed = 4});
  EXPECT_NE(a.losses, c.losses) << "another data seed should change the run";
}

// The run stopped after step 5 is resumed by a fresh process-like setup (new model with
// another initialisation, new optimizer, new generators): it must end bitwise where the
// uninterrupted run ends.
TEST(TrainLoopTest, KillAndResumeReachesTheSameParameters) {
  const TrainLoopOptions base = {.max_steps = 12, .eval_every = 3, .checkpoint_every = 4,
                                 .seed = 11};
  TrainLoopOptions whole = base;
  whole.checkpoint_dir = FreshDir("whole");
  TrainRun uninterrupted = Train(whole);
  ASSERT_TRUE(uninterrupted.result.ok()) << uninterrupted.result.status();

  TrainLoopOptions first_part = base;
  first_part.checkpoint_dir = FreshDir("killed");
  first_part.max_steps = 5;
  TrainRun killed = Train(first_part);
  ASSERT_TRUE(killed.result.ok()) << killed.result.status();
  ASSERT_TRUE(fs::exists(first_part.checkpoint_dir + "/" + CheckpointFileName(5)));

  TrainLoopOptions second_part = base;
  second_part.checkpoint_dir = first_part.checkpoint_dir;
  second_part.resume = true;
  TrainRun resumed = Train(second_part, /*init_seed=*/999);
  ASSERT_TRUE(resumed.result.ok()) << resumed.result.status();
  EXPECT_EQ(resumed.result->resumed_from_step, 5);
  EXPECT_EQ(resumed.result->steps, 12);
  ASSERT_EQ(resumed.losses.size(), 7u);
  EXPECT_EQ(resumed.losses,
            std::vector<double>(uninterrupted.losses.begin() + 5, uninterrupted.losses.end()));
  EXPECT_TRUE(torch::equal(resumed.params, uninterrupted.params));
}

TEST(TrainLoopTest, SigtermCheckpointsAndStopsAndTheRunResumes) {
  TrainRun uninterrupted = Train({.max_steps = 10, .seed = 5});
  TrainLoopOptions options = {.max_steps = 10, .checkpoint_dir = FreshDir("signal"), .seed = 5,
                              .handle_signals = true};
  TrainRun stopped = Train(options, 7, 12, [](int64_t step) {
    if (step == 3) ::raise(SIGTERM);
  });
  ASSERT_TRUE(stopped.result.ok()) << stopped.result.status();
  EXPECT_EQ(stopped.result->stop_reason, StopReason::kSignal);
  EXPECT_EQ(stopped.result->steps, 4);  // the update in progress completes
  options.resume = true;
  options.handle_signals = false;
  TrainRun resumed = Train(options, 1234);
  ASSERT_TRUE(resumed.result.ok()) << resumed.result.status();
  EXPECT_EQ(resumed.result->resumed_from_step, 4);
  EXPECT_TRUE(torch::equal(resumed.params, uninterrupted.params));
}

TEST(TrainLoopTest, ResumeFallsBackPastADamagedNewestCheckpoint) {
  const std::string dir = FreshDir("damaged");
  TrainRun first = Train({.max_steps = 6, .checkpoint_every = 3, .checkpoint_dir = dir, .seed = 2});
  ASSERT_TRUE(first.result.ok());
  const std::string newest = dir + "/" + CheckpointFileName(6);
  const std::string bytes = *ReadFileToString(newest);
  ASSERT_TRUE(WriteFileAtomically(newest, bytes.substr(0, bytes.size() / 2)).ok());
  TrainRun resumed = Train({.max_steps = 6, .checkpoint_dir = dir, .resume = true, .seed = 2});
  ASSERT_TRUE(resumed.result.ok()) << resumed.result.status();
  EXPECT_EQ(resumed.result->resumed_from_step, 3);
  EXPECT_TRUE(torch::equal(resumed.params, first.params));
}

TEST(TrainLoopTest, ResumeWithAnotherConfigurationIsRefused) {
  const std::string dir = FreshDir("config");
  ASSERT_TRUE(Train({.max_steps = 2, .checkpoint_dir = dir}).result.ok());
  torch::manual_seed(0);
  Regressor model(0.1);
  torch::optim::AdamW adamw(model->parameters());
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext&) { return StepOutput{model->forward(TheData().x).mean()}; };
  TrainLoopOptions options = {.max_steps = 4, .checkpoint_dir = dir, .resume = true,
                              .show_progress = false};
  options.config = {{"hidden", 32}, {"dropout", 0.1}};
  absl::StatusOr<TrainResult> r = RunTrainLoop(*model, adamw, nullptr, options, cb);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "/hidden: 16 in the checkpoint, 32 in this run"))
      << r.status();
}

TEST(TrainLoopTest, GradientAccumulationEqualsOneLargeBatch) {
  auto train = [](int accum) {
    torch::manual_seed(1);
    Regressor model(0.0);
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
    TrainCallbacks cb;
    const int64_t rows = 8 / accum;
    cb.train_step = [&](TrainContext& ctx) {
      const int64_t start = (ctx.step * 8 + ctx.micro_step * rows) % 256;
      torch::Tensor x = TheData().x.slice(0, start, start + rows);
      torch::Tensor y = TheData().y.slice(0, start, start + rows);
      return StepOutput{(model->forward(x) - y).pow(2).mean(), rows};
    };
    TrainLoopOptions options = {.max_steps = 5, .grad_accum_steps = accum,
                                .show_progress = false};
    EXPECT_TRUE(RunTrainLoop(*model, sgd, nullptr, options, cb).ok());
    return FlatParameters(*model);
  };
  torch::Tensor big = train(1), accumulated = train(2), four = train(4);
  EXPECT_TRUE(torch::allclose(big, accumulated, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(big, four, 1e-5, 1e-6));
  torch::manual_seed(1);
  EXPECT_FALSE(torch::allclose(big, FlatParameters(*Regressor(0.0)), 1e-3, 1e-3))
      << "the runs should have moved the parameters";
}

TEST(TrainLoopTest, ClippingBoundsEveryUpdate) {
  torch::manual_seed(1);
  Regressor model(0.0);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(1.0));
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext&) {
    return StepOutput{(model->forward(TheData().x) - TheData().y).pow(2).mean() * 100.0, 256};
  };
  std::vector<double> norms, deltas;
  torch::Tensor before = FlatParameters(*model);
  cb.on_step = [&](const StepReport& r) {
    torch::Tensor now = FlatParameters(*model);
    norms.push_back(r.grad_norm);
    deltas.push_back((now - before).norm().item<double>());
    before = now;
  };
  TrainLoopOptions options = {.max_steps = 4, .clip_grad_norm = 1e-3, .show_progress = false};
  ASSERT_TRUE(RunTrainLoop(*model, sgd, nullptr, options, cb).ok());
  for (size_t i = 0; i < norms.size(); ++i) {
    EXPECT_GT(norms[i], 1e-3) << "the test needs gradients larger than the clip";
    EXPECT_NEAR(deltas[i], 1e-3, 1e-6) << "update " << i;  // lr 1: update = clipped gradient
  }
}

TEST(TrainLoopTest, EarlyStoppingStopsSavesAndRestoresTheBest) {
  const std::string dir = FreshDir("early");
  torch::manual_seed(1);
  Regressor model(0.0);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05));
  const std::vector<double> script = {5.0, 4.0, 4.5, 4.2, 3.0, 1.0};
  size_t evals = 0;
  std::vector<torch::Tensor> params_after;
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext&) {
    return StepOutput{(model->forward(TheData().x) - TheData().y).pow(2).mean(), 256};
  };
  cb.evaluate = [&](EvalContext& ctx) {
    EXPECT_FALSE(model->is_training());
    return Metrics{{"loss", script.at(evals++)}, {"step", static_cast<double>(ctx.step)}};
  };
  cb.on_step = [&](const StepReport&) { params_after.push_back(FlatParameters(*model)); };
  TrainLoopOptions options = {.max_steps = 100, .eval_every = 1, .checkpoint_dir = dir,
                              .early_stopping = EarlyStoppingOptions{.metric = "loss",
                                                                     .patience = 2},
                              .restore_best_at_end = true, .show_progress = false};
  absl::StatusOr<TrainResult> r = RunTrainLoop(*model, sgd, nullptr, options, cb);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, StopReason::kEarlyStopping);
  EXPECT_EQ(r->steps, 4);
  EXPECT_EQ(r->best_step, 2);
  EXPECT_EQ(*r->best_metric, 4.0);
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(torch::equal(FlatParameters(*model), params_after[1]));
  EXPECT_TRUE(fs::exists(dir + "/best.sfckpt"));

  // Resuming an early-stopped run does not train further.
  options.resume = true;
  r = RunTrainLoop(*model, sgd, nullptr, options, cb);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->steps, 4);
  EXPECT_EQ(r->stop_reason, StopReason::kEarlyStopping);
}

TEST(TrainLoopTest, WritesJsonLinesTensorBoardAndFinalMetrics) {
  const std::string run_dir = FreshDir("logs");
  TrainRun run = Train({.max_steps = 6, .eval_every = 3, .log_every = 2, .run_dir = run_dir});
  ASSERT_TRUE(run.result.ok()) << run.result.status();
  std::vector<std::string> lines =
      absl::StrSplit(*ReadFileToString(run_dir + "/metrics.jsonl"), '\n', absl::SkipEmpty());
  std::vector<int64_t> train_steps, eval_steps;
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j.contains("train/loss")) {
      train_steps.push_back(j["step"]);
      EXPECT_TRUE(j["train/lr"].is_number());
      EXPECT_GT(j["train/grad_norm"].get<double>(), 0.0);
      EXPECT_GT(j["train/examples_per_second"].get<double>(), 0.0);
    }
    if (j.contains("eval/loss")) eval_steps.push_back(j["step"]);
  }
  EXPECT_EQ(train_steps, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(eval_steps, (std::vector<int64_t>{3, 6}));
  nlohmann::json final_json =
      nlohmann::json::parse(*ReadFileToString(run_dir + "/final_metrics.json"));
  EXPECT_EQ(final_json["steps"], 6);
  EXPECT_EQ(final_json["stop_reason"], "max_steps");
  EXPECT_EQ(final_json["config"]["hidden"], 16);
  EXPECT_TRUE(final_json["eval"].contains("loss"));
  bool has_events = false;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    has_events |= absl::StrContains(e.path().filename().string(), "tfevents");
  }
  EXPECT_TRUE(has_events);
}

// Steps of the records in run_dir/metrics.jsonl, in file order.
std::vector<int64_t> LoggedSteps(const std::string& run_dir) {
  std::vector<int64_t> steps;
  for (absl::string_view line :
       absl::StrSplit(*ReadFileToString(run_dir + "/metrics.jsonl"), '\n', absl::SkipEmpty())) {
    steps.push_back(nlohmann::json::parse(line)["step"].get<int64_t>());
  }
  return steps;
}

TEST(TrainLoopTest, AResumedRunLogsEachStepOnceAndAFreshRunStartsTheLogAnew) {
  const std::string dir = FreshDir("relog");
  const TrainLoopOptions base = {.max_steps = 6, .log_every = 1, .checkpoint_every = 3,
                                 .checkpoint_dir = dir + "/checkpoints", .run_dir = dir,
                                 .seed = 2};
  ASSERT_TRUE(Train(base).result.ok());
  // One training record per step, and the final evaluation's record at step 6.
  const std::vector<int64_t> uninterrupted = {1, 2, 3, 4, 5, 6, 6};
  EXPECT_EQ(LoggedSteps(dir), uninterrupted);
  // As after a crash at step 6 that left the checkpoint of step 3: steps 4-6 are run again.
  fs::remove(dir + "/checkpoints/" + CheckpointFileName(6));
  TrainLoopOptions resume = base;
  resume.resume = true;
  TrainRun resumed = Train(resume);
  ASSERT_TRUE(resumed.result.ok()) << resumed.result.status();
  EXPECT_EQ(resumed.result->resumed_from_step, 3);
  EXPECT_EQ(LoggedSteps(dir), uninterrupted);
  // A fresh run in the same folder replaces the log.
  TrainLoopOptions fresh = base;
  fresh.max_steps = 2;
  ASSERT_TRUE(Train(fresh).result.ok());
  EXPECT_EQ(LoggedSteps(dir), (std::vector<int64_t>{1, 2, 2}));
}

TEST(TrainLoopTest, AFreshRunMovesAnEarlierRunsCheckpointsAside) {
  const std::string dir = FreshDir("earlier");
  ASSERT_TRUE(
      Train({.max_steps = 6, .checkpoint_every = 3, .checkpoint_dir = dir, .seed = 2}).result.ok());
  // Without being moved, the earlier run's steps 3 and 6 would outrank (and prune) this run's.
  TrainRun fresh = Train({.max_steps = 2, .checkpoint_dir = dir, .seed = 3});
  ASSERT_TRUE(fresh.result.ok()) << fresh.result.status();
  const auto listed = ListCheckpoints(dir);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().first, 2);
  EXPECT_TRUE(fs::exists(dir + "/earlier-run/" + CheckpointFileName(3)));
  EXPECT_TRUE(fs::exists(dir + "/earlier-run/" + CheckpointFileName(6)));
  // So resuming continues this run, not the earlier one.
  TrainRun resumed = Train({.max_steps = 2, .checkpoint_dir = dir, .resume = true, .seed = 3});
  ASSERT_TRUE(resumed.result.ok()) << resumed.result.status();
  EXPECT_EQ(resumed.result->resumed_from_step, 2);
  EXPECT_TRUE(torch::equal(resumed.params, fresh.params));
}

TEST(TrainLoopTest, ResumingACheckpointPastTheStepCountIsRefused) {
  const std::string dir = FreshDir("past");
  ASSERT_TRUE(Train({.max_steps = 6, .checkpoint_dir = dir, .seed = 2}).result.ok());
  TrainRun resumed = Train({.max_steps = 4, .checkpoint_dir = dir, .resume = true, .seed = 2});
  ASSERT_FALSE(resumed.result.ok());
  const std::string message(resumed.result.status().message());
  EXPECT_TRUE(absl::StrContains(message, CheckpointFileName(6))) << message;
  EXPECT_TRUE(absl::StrContains(message, "is at step 6, past this run's 4 steps")) << message;
}

TEST(TrainLoopTest, NonFiniteLossAbortsNamingTheStep) {
  torch::manual_seed(1);
  Regressor model(0.0);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext& ctx) {
    torch::Tensor loss = model->forward(TheData().x).pow(2).mean();
    return StepOutput{ctx.step == 2 ? loss * std::nan("") : loss};
  };
  absl::StatusOr<TrainResult> r =
      RunTrainLoop(*model, sgd, nullptr, {.max_steps = 5, .show_progress = false}, cb);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "at step 3")) << r.status();
}

TEST(TrainLoopTest, RejectsBadOptionsNamingThem) {
  torch::manual_seed(1);
  Regressor model(0.0);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  TrainCallbacks cb;
  cb.train_step = [&](TrainContext&) { return StepOutput{model->forward(TheData().x).mean()}; };
  auto status = [&](const TrainLoopOptions& o) {
    return RunTrainLoop(*model, sgd, nullptr, o, cb).status();
  };
  EXPECT_TRUE(absl::StrContains(status({.max_steps = 0}).message(), "max_steps must be >= 1, got 0"));
  EXPECT_TRUE(absl::StrContains(status({.grad_accum_steps = 0}).message(), "grad_accum_steps"));
  EXPECT_TRUE(absl::StrContains(status({.resume = true}).message(), "checkpoint directory"));
  EXPECT_TRUE(absl::StrContains(
      status({.early_stopping = EarlyStoppingOptions{}}).message(), "evaluate callback"));
  absl::Status device = status({.max_steps = 1, .device = c10::Device(c10::kCUDA, 0),
                                .show_progress = false});
  EXPECT_TRUE(absl::StrContains(device.message(), "parameters are on cpu but the run uses "
                                                  "--device=cuda:0"))
      << device;

  cb.evaluate = [](EvalContext&) { return Metrics{{"accuracy", 0.5}}; };
  absl::Status metric = status({.max_steps = 2, .eval_every = 1,
                                .early_stopping = EarlyStoppingOptions{.metric = "f1"},
                                .show_progress = false});
  EXPECT_EQ(metric.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(metric.message(), "'f1' is not among the evaluation metrics: "
                                                  "accuracy"))
      << metric;
}

}  // namespace
}  // namespace sf::training
