#include "training/train_loop.h"

#include <signal.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <glog/logging.h>
#include <torch/nn/module.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/optimizer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "training/checkpoint.h"
#include "training/distributed.h"
#include "training/file_io.h"
#include "training/metrics.h"
#include "training/progress.h"
#include "training/run_log.h"

namespace sf::training {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void RecordStopSignal(int signal_number) { g_stop_signal = signal_number; }

// Routes SIGINT and SIGTERM to a flag while the loop runs; the previous handlers come back
// afterwards.
class StopSignalGuard {
 public:
  explicit StopSignalGuard(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    g_stop_signal = 0;
    struct sigaction action = {};
    action.sa_handler = RecordStopSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignalGuard() {
    if (!enabled_) return;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;

  bool stop_requested() const { return enabled_ && g_stop_signal != 0; }

 private:
  bool enabled_;
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

absl::Status ValidateOptions(const TrainLoopOptions& o, const TrainCallbacks& callbacks) {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
  if (o.max_steps < 1) return bad(absl::StrCat("max_steps must be >= 1, got ", o.max_steps));
  if (o.grad_accum_steps < 1) {
    return bad(absl::StrCat("grad_accum_steps must be >= 1, got ", o.grad_accum_steps));
  }
  if (!(o.clip_grad_norm >= 0)) {
    return bad(absl::StrCat("clip_grad_norm must be >= 0, got ", o.clip_grad_norm));
  }
  if (o.eval_every < 0) return bad(absl::StrCat("eval_every must be >= 0, got ", o.eval_every));
  if (o.log_every < 1) return bad(absl::StrCat("log_every must be >= 1, got ", o.log_every));
  if (o.checkpoint_every < 0) {
    return bad(absl::StrCat("checkpoint_every must be >= 0, got ", o.checkpoint_every));
  }
  if (o.keep_last_checkpoints < 1) {
    return bad(absl::StrCat("keep_last_checkpoints must be >= 1, got ", o.keep_last_checkpoints));
  }
  if (o.resume && o.checkpoint_dir.empty()) return bad("resuming needs a checkpoint directory");
  if (o.early_stopping && !callbacks.evaluate) {
    return bad("early stopping needs an evaluate callback");
  }
  if (o.restore_best_at_end && (!o.early_stopping || o.checkpoint_dir.empty())) {
    return bad("restore_best_at_end needs early stopping and a checkpoint directory");
  }
  return absl::OkStatus();
}

std::vector<at::Tensor> OptimizedParameters(const torch::optim::Optimizer& optimizer) {
  std::vector<at::Tensor> params;
  for (const auto& group : optimizer.param_groups()) {
    for (const at::Tensor& p : group.params()) params.push_back(p);
  }
  return params;
}

double GradNorm(const std::vector<at::Tensor>& params) {
  double sum = 0.0;
  for (const at::Tensor& p : params) {
    if (!p.grad().defined()) continue;
    const double n = p.grad().norm().item<double>();
    sum += n * n;
  }
  return std::sqrt(sum);
}

// Every rank must build the same model and continue from the same update: compares each
// rank's (tensor count, element count, shape digest, step) with rank 0's, then copies rank 0's
// parameters and buffers everywhere.
absl::Status SynchronizeStart(DistributedGroup& group, torch::nn::Module& model, int64_t step) {
  std::vector<at::Tensor> tensors = model.parameters();
  for (const at::Tensor& b : model.buffers()) tensors.push_back(b);
  int64_t elements = 0;
  uint64_t digest = 1469598103934665603ull;
  for (const at::Tensor& t : tensors) {
    elements += t.numel();
    for (int64_t v : t.sizes()) digest = (digest ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    digest = (digest ^ static_cast<uint64_t>(t.scalar_type())) * 1099511628211ull;
  }
  const std::vector<int64_t> mine_values = {static_cast<int64_t>(tensors.size()), elements,
                                            static_cast<int64_t>(digest), step};
  const at::Tensor mine = at::tensor(mine_values, at::kLong);
  const at::Tensor root = mine.clone();
  if (absl::Status s = group.Broadcast({root}); !s.ok()) return s;
  const bool differs = !at::equal(mine, root);
  const at::Tensor differing = at::full({1}, differs ? 1 : 0, at::kLong);
  if (absl::Status s = group.AllReduceSum(differing); !s.ok()) return s;
  if (differing.item<int64_t>() > 0) {
    const auto describe = [](const at::Tensor& t) {
      const int64_t* v = t.data_ptr<int64_t>();
      return absl::StrCat(v[0], " tensors, ", v[1], " values, resuming at step ", v[3]);
    };
    return absl::FailedPreconditionError(absl::StrCat(
        group.Describe(), ": ", differing.item<int64_t>(), " rank(s) disagree with rank 0 (",
        describe(root), ")", differs ? absl::StrCat("; this rank has ", describe(mine)) : "",
        ": every rank must build the same model from the same data and see the same "
        "checkpoint directory"));
  }
  return group.Broadcast(tensors);
}

// Dropout should differ between ranks, which see different examples; derived from the rank and
// the step, so that a resumed run draws the same masks.
uint64_t RankSeed(uint64_t seed, int rank, int64_t step) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(rank) + 1) +
               0xD1B54A32D192ED03ull * static_cast<uint64_t>(step);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A fresh run may be given a folder that holds an earlier run's checkpoints: left there, they
// would outrank its own (pruning keeps the highest steps) and a later --resume would continue
// the earlier run. They move to <dir>/earlier-run/, which holds only the latest such run.
absl::Status MoveEarlierRunAside(const std::string& dir) {
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> found = ListCheckpoints(dir);
  if (!found.ok()) return found.status();
  std::vector<std::string> paths;
  for (const auto& [step, path] : *found) paths.push_back(path);
  std::error_code error;
  const std::string best = dir + "/best.sfckpt";
  if (std::filesystem::exists(best, error)) paths.push_back(best);
  if (paths.empty()) return absl::OkStatus();
  const std::string aside = dir + "/earlier-run";
  std::filesystem::remove_all(aside, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot clear ", aside, ": ", error.message()));
  }
  absl::Status created = CreateDirectories(aside);
  if (!created.ok()) return created;
  for (const std::string& path : paths) {
    const std::filesystem::path target =
        std::filesystem::path(aside) / std::filesystem::path(path).filename();
    std::filesystem::rename(path, target, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("cannot move ", path, " to ", target.string(), ": ", error.message()));
    }
  }
  LOG(INFO) << "moved " << paths.size() << " checkpoint(s) of an earlier run from " << dir
            << " to " << aside << " (this run starts afresh; --resume continues a run)";
  return absl::OkStatus();
}

std::string FormatMetrics(const Metrics& metrics) {
  return absl::StrJoin(metrics, " ", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.first, "=", kv.second);
  });
}

}  // namespace

std::string StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxSteps:
      return "max_steps";
    case StopReason::kEarlyStopping:
      return "early_stopping";
    case StopReason::kSignal:
      return "signal";
  }
  return "unknown";
}

nlohmann::json TrainResult::ToJson() const {
  nlohmann::json j = {{"steps", steps},
                      {"stop_reason", StopReasonName(stop_reason)},
                      {"resumed_from_step", resumed_from_step},
                      {"last_train_loss", last_train_loss},
                      {"eval", last_eval},
                      {"seconds", seconds},
                      {"examples_per_second", examples_per_second},
                      {"tokens_per_second", tokens_per_second}};
  if (best_metric) {
    j["best_metric"] = *best_metric;
    j["best_step"] = best_step;
  }
  return j;
}

absl::StatusOr<TrainResult> RunTrainLoop(torch::nn::Module& model,
                                         torch::optim::Optimizer& optimizer,
                                         const LrSchedule* schedule,
                                         const TrainLoopOptions& options,
                                         const TrainCallbacks& callbacks) {
  TORCH_CHECK(static_cast<bool>(callbacks.train_step), "RunTrainLoop needs a train_step");
  absl::Status status = ValidateOptions(options, callbacks);
  if (!status.ok()) return status;
  const std::vector<at::Tensor> params = OptimizedParameters(optimizer);
  for (const at::Tensor& p : params) {
    if (p.device() != options.device) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the model's parameters are on ", p.device().str(), " but the run uses --device=",
          options.device.str(), ": move the model (model->to(device)) before building the "
          "optimizer"));
    }
  }

  DistributedGroup* const group = options.distributed;
  const bool is_main = group == nullptr || group->rank() == 0;
  std::mt19937_64 rng(options.seed);
  TrainingState state{&model, &optimizer, &rng};
  std::optional<EarlyStopping> stopper;
  if (options.early_stopping) stopper.emplace(*options.early_stopping);
  TrainResult result;
  int64_t step = 0;
  int64_t examples_seen = 0;
  int64_t tokens_seen = 0;

  auto loop_state = [&]() {
    return nlohmann::json{{"examples", examples_seen},
                          {"tokens", tokens_seen},
                          {"last_eval", result.last_eval},
                          {"early_stopping", stopper ? stopper->ToJson() : nlohmann::json()}};
  };
  auto save = [&](const std::string& path) {
    return SaveCheckpoint(path, state,
                          {.step = step, .config = options.config,
                           .tokenizer = options.tokenizer, .loop_state = loop_state()});
  };

  if (is_main && !options.checkpoint_dir.empty()) {
    status = CreateDirectories(options.checkpoint_dir);
    if (!status.ok()) return status;
    if (!options.resume) {
      status = MoveEarlierRunAside(options.checkpoint_dir);
      if (!status.ok()) return status;
    }
  }
  if (options.resume) {
    absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> found =
        ListCheckpoints(options.checkpoint_dir);
    if (!found.ok()) return found.status();
    std::vector<std::string> unreadable;
    for (auto it = found->rbegin(); it != found->rend() && result.resumed_from_step < 0; ++it) {
      absl::StatusOr<CheckpointInfo> info = LoadCheckpoint(
          it->second, state,
          {.expected_config = options.config,
           .config_keys_allowed_to_differ = options.config_keys_allowed_to_differ});
      if (!info.ok()) {
        // Atomic writes make a damaged newest checkpoint unlikely (a disk error, a copy cut
        // short); an older intact one is still a correct place to continue from.
        if (info.status().code() != absl::StatusCode::kDataLoss) return info.status();
        if (is_main) LOG(WARNING) << info.status() << "; trying an older checkpoint";
        unreadable.push_back(std::string(info.status().message()));
        continue;
      }
      if (info->step > options.max_steps) {
        return absl::FailedPreconditionError(absl::StrCat(
            it->second, " is at step ", info->step, ", past this run's ", options.max_steps,
            " steps: raise the step count to continue it, or start afresh without resuming"));
      }
      step = info->step;
      result.resumed_from_step = step;
      const nlohmann::json ls =
          info->loop_state.is_object() ? info->loop_state : nlohmann::json::object();
      auto counter = [&ls](const char* key) {
        return ls.contains(key) && ls[key].is_number_integer() ? ls[key].get<int64_t>() : 0;
      };
      examples_seen = counter("examples");
      tokens_seen = counter("tokens");
      if (ls.contains("last_eval") && ls["last_eval"].is_object()) {
        // NaN metrics were stored as null.
        for (const auto& item : ls["last_eval"].items()) {
          result.last_eval[item.key()] =
              item.value().is_number() ? item.value().get<double>() : NAN;
        }
      }
      if (stopper && ls.contains("early_stopping") && !ls["early_stopping"].is_null()) {
        status = stopper->FromJson(ls["early_stopping"]);
        if (!status.ok()) {
          return absl::FailedPreconditionError(
              absl::StrCat("cannot resume from ", it->second, ": ", status.message()));
        }
      }
      if (is_main) LOG(INFO) << "resumed from " << it->second << " at step " << step;
    }
    if (result.resumed_from_step < 0 && !unreadable.empty()) {
      return absl::DataLossError(absl::StrCat("no readable checkpoint in ",
                                              options.checkpoint_dir, ": ",
                                              absl::StrJoin(unreadable, "; ")));
    }
    if (is_main && result.resumed_from_step < 0) {
      LOG(INFO) << "no checkpoint in " << options.checkpoint_dir << "; starting from step 0";
    }
  }

  std::unique_ptr<GradientAverager> averager;
  if (group != nullptr) {
    status = SynchronizeStart(*group, model, step);
    if (!status.ok()) return status;
    averager = std::make_unique<GradientAverager>(*group, params, group->options().bucket_bytes);
    if (is_main) {
      LOG(INFO) << "data parallel over " << group->world_size() << " processes ("
                << group->options().init_method << "), gradients averaged in "
                << averager->num_buckets() << " bucket(s)";
    }
  }

  std::unique_ptr<RunLogger> logger;
  if (is_main && !options.run_dir.empty()) {
    absl::StatusOr<std::unique_ptr<RunLogger>> opened =
        RunLogger::Open(options.run_dir, /*keep_through_step=*/result.resumed_from_step);
    if (!opened.ok()) return opened.status();
    logger = *std::move(opened);
  }
  std::unique_ptr<ProgressLine> progress;
  if (is_main && options.show_progress) {
    progress = std::make_unique<ProgressLine>(
        std::cerr, ProgressOptions{.total_steps = options.max_steps, .tty = StderrIsTerminal(),
                                   .unit = options.progress_unit,
                                   .every_steps = options.log_every});
  }
  const std::string best_path =
      options.checkpoint_dir.empty() ? "" : options.checkpoint_dir + "/best.sfckpt";

  auto evaluate = [&]() -> absl::Status {
    Metrics metrics;
    model.eval();
    {
      c10::NoGradGuard no_grad;
      EvalContext ctx{step, options.device};
      metrics = callbacks.evaluate(ctx);
    }
    model.train();
    result.last_eval = metrics;
    if (progress) progress->Finish();
    LOG(INFO) << "step " << step << " eval: " << FormatMetrics(metrics);
    if (logger) {
      Metrics prefixed;
      for (const auto& [name, value] : metrics) prefixed["eval/" + name] = value;
      absl::Status s = logger->Log(step, prefixed);
      if (!s.ok()) return s;
    }
    if (!stopper) return absl::OkStatus();
    auto it = metrics.find(stopper->options().metric);
    if (it == metrics.end()) {
      std::vector<std::string> names;
      for (const auto& kv : metrics) names.push_back(kv.first);
      return absl::InvalidArgumentError(absl::StrCat(
          "early-stopping metric '", stopper->options().metric,
          "' is not among the evaluation metrics: ", absl::StrJoin(names, ", ")));
    }
    if (stopper->Update(it->second, step)) {
      LOG(INFO) << "new best " << it->first << "=" << it->second << " at step " << step;
      if (!best_path.empty()) {
        absl::Status s = save(best_path);
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  };

  StopSignalGuard signals(options.handle_signals);
  ThroughputMeter run_examples, run_tokens;
  ThroughputMeter window_examples, window_tokens;
  MeanMeter window_loss;
  int64_t window_start_step = step;
  model.train();
  bool stopping = stopper && stopper->ShouldStop();
  if (stopping) result.stop_reason = StopReason::kEarlyStopping;

  while (!stopping && step < options.max_steps) {
    // Reseeded at every update: rank 0's checkpoint holds one generator state, and a resumed
    // run must draw each rank's dropout masks of step k as an uninterrupted one does.
    if (group != nullptr) at::manual_seed(RankSeed(options.seed, group->rank(), step));
    optimizer.zero_grad();
    double loss_sum = 0.0;
    int64_t step_examples = 0;
    int64_t step_tokens = 0;
    bool nonfinite = false;
    for (int micro = 0; micro < options.grad_accum_steps; ++micro) {
      TrainContext ctx{step, micro, options.grad_accum_steps, rng, options.device,
                       group != nullptr ? group->rank() : 0,
                       group != nullptr ? group->world_size() : 1};
      StepOutput out = callbacks.train_step(ctx);
      TORCH_CHECK(out.loss.defined() && out.loss.numel() == 1,
                  "train_step must return a scalar loss, got ",
                  out.loss.defined() ? out.loss.sizes() : at::IntArrayRef{});
      const double loss_value = out.loss.item<double>();
      if (!std::isfinite(loss_value) && options.stop_on_nonfinite_loss) {
        // With peers, stopping alone would leave them waiting in the gradient all-reduce: the
        // rank finishes the update and the step's all-reduce below stops every rank.
        nonfinite = true;
        if (group == nullptr) {
          if (progress) progress->Finish();
          return absl::AbortedError(absl::StrCat(
              "the loss is ", loss_value, " at step ", step + 1, " (micro-batch ", micro,
              "): training diverged; lower the learning rate or clip gradients"));
        }
      }
      const at::Tensor scaled =
          options.grad_accum_steps == 1 ? out.loss : out.loss / options.grad_accum_steps;
      if (averager == nullptr) {
        scaled.backward();
      } else {
        if (micro + 1 == options.grad_accum_steps) averager->Arm();
        try {
          scaled.backward();
        } catch (const c10::Error& e) {
          if (progress) progress->Finish();
          group->MarkBroken();
          return absl::UnavailableError(absl::StrCat(group->Describe(), ": backward pass at step ",
                                                     step + 1, " failed: ",
                                                     e.what_without_backtrace()));
        }
      }
      loss_sum += loss_value;
      step_examples += out.examples;
      step_tokens += out.tokens;
    }
    // With peers, a signal to any rank stops all of them after this update.
    bool stop_signal = false;
    if (group != nullptr) {
      status = averager->Finish();
      if (status.ok()) {
        const std::vector<double> local = {loss_sum, static_cast<double>(step_examples),
                                           static_cast<double>(step_tokens),
                                           nonfinite ? 1.0 : 0.0,
                                           signals.stop_requested() ? 1.0 : 0.0};
        const at::Tensor totals = at::tensor(local, at::kDouble);
        status = group->AllReduceSum(totals);
        const double* sum = totals.data_ptr<double>();
        loss_sum = sum[0] / group->world_size();
        step_examples = std::llround(sum[1]);
        step_tokens = std::llround(sum[2]);
        nonfinite = sum[3] > 0;
        stop_signal = sum[4] > 0;
      }
      if (!status.ok()) {
        if (progress) progress->Finish();
        return status;
      }
      if (nonfinite) {
        if (progress) progress->Finish();
        return absl::AbortedError(absl::StrCat(
            "the loss is not finite at step ", step + 1, " on ", group->Describe(),
            " or a peer: training diverged; lower the learning rate or clip gradients"));
      }
    }
    const double loss = loss_sum / options.grad_accum_steps;
    const bool log_now = (step + 1) % options.log_every == 0 || step + 1 == options.max_steps;
    double grad_norm = NAN;
    if (options.clip_grad_norm > 0) {
      grad_norm = torch::nn::utils::clip_grad_norm_(params, options.clip_grad_norm);
    } else if (log_now) {
      grad_norm = GradNorm(params);
    }
    const double lr = schedule != nullptr ? schedule->Apply(optimizer, step)
                                          : optimizer.param_groups()[0].options().get_lr();
    optimizer.step();
    ++step;

    examples_seen += step_examples;
    tokens_seen += step_tokens;
    run_examples.Add(step_examples);
    run_tokens.Add(step_tokens);
    window_examples.Add(step_examples);
    window_tokens.Add(step_tokens);
    window_loss.Add(loss);
    if (callbacks.on_step) {
      callbacks.on_step({step, loss, lr, grad_norm, step_examples, step_tokens});
    }
    if (progress) {
      progress->Update(step, loss, options.progress_unit == "tok" ? step_tokens : step_examples);
    }
    // Rank 0's evaluation, early stopping, logs and checkpoints; the first error ends the run.
    absl::Status main_status;
    if (log_now) {
      result.last_train_loss = window_loss.Mean();
      Metrics scalars = {{"train/loss", result.last_train_loss},
                         {"train/lr", lr},
                         {"train/grad_norm", grad_norm},
                         {"train/examples_per_second", window_examples.Rate()}};
      if (window_tokens.count() > 0) scalars["train/tokens_per_second"] = window_tokens.Rate();
      if (is_main && !progress) {
        LOG(INFO) << "step " << step << "/" << options.max_steps << " "
                  << FormatMetrics(scalars) << " (" << step - window_start_step << " steps)";
      }
      if (logger) main_status = logger->Log(step, scalars);
      window_loss.Reset();
      window_examples.Start();
      window_tokens.Start();
      window_start_step = step;
    }

    // The next log line's throughput counts training only.
    window_examples.Pause();
    window_tokens.Pause();
    bool evaluated = false;
    const bool eval_due =
        callbacks.evaluate && options.eval_every > 0 && step % options.eval_every == 0;
    if (eval_due && is_main && main_status.ok()) {
      main_status = evaluate();
      evaluated = true;
      if (main_status.ok() && stopper && stopper->ShouldStop()) {
        LOG(INFO) << "early stopping at step " << step << ": no improvement of "
                  << stopper->options().metric << " in " << stopper->evaluations_since_best()
                  << " evaluations (best " << stopper->best() << " at step "
                  << stopper->best_step() << ")";
        stopping = true;
        result.stop_reason = StopReason::kEarlyStopping;
      }
    }
    if (group == nullptr) stop_signal = signals.stop_requested();
    if (stop_signal) {
      if (progress) progress->Finish();
      if (is_main && g_stop_signal != 0) {
        LOG(INFO) << "signal " << g_stop_signal << " received: stopping after step " << step;
      } else if (is_main) {
        LOG(INFO) << "a peer rank received a signal: stopping after step " << step;
      }
      stopping = true;
      result.stop_reason = StopReason::kSignal;
    }
    const bool checkpoint_due =
        !options.checkpoint_dir.empty() &&
        (options.checkpoint_every > 0 && step % options.checkpoint_every == 0);
    if (is_main && main_status.ok() && !options.checkpoint_dir.empty() &&
        (stopping || step == options.max_steps || checkpoint_due)) {
      const std::string path = options.checkpoint_dir + "/" + CheckpointFileName(step);
      main_status = save(path);
      if (main_status.ok()) {
        main_status = PruneCheckpoints(options.checkpoint_dir, options.keep_last_checkpoints);
      }
      if (main_status.ok()) LOG(INFO) << "saved checkpoint " << path;
    }
    // After the final checkpoint, so the checkpoint equals the state an uninterrupted run
    // has at this step (this extra evaluation is not part of that run).
    if (is_main && main_status.ok() && step == options.max_steps && !evaluated &&
        callbacks.evaluate && options.eval_at_end) {
      main_status = evaluate();
    }
    window_examples.Resume();
    window_tokens.Resume();
    // The other ranks learn whether rank 0's work failed and whether early stopping ends the
    // run; all of them know when such work happened, so they all take part in this broadcast.
    if (group != nullptr && (eval_due || checkpoint_due || stop_signal ||
                             step == options.max_steps)) {
      const at::Tensor verdict = at::tensor(
          std::vector<int64_t>{main_status.ok() ? 0 : 1, stopping ? 1 : 0,
                               static_cast<int64_t>(result.stop_reason)},
          at::kLong);
      absl::Status s = group->Broadcast({verdict});
      if (!s.ok()) main_status.Update(s);
      if (s.ok() && !is_main) {
        const int64_t* v = verdict.data_ptr<int64_t>();
        if (v[0] != 0) {
          main_status = absl::AbortedError(absl::StrCat(
              group->Describe(), ": rank 0 failed after step ", step, " (its output says why)"));
        }
        stopping = v[1] != 0;
        result.stop_reason = static_cast<StopReason>(v[2]);
      }
    }
    if (!main_status.ok()) {
      if (progress) progress->Finish();
      return main_status;
    }
  }
  if (progress) progress->Finish();

  result.steps = step;
  if (stopper && stopper->has_best()) {
    result.best_metric = stopper->best();
    result.best_step = stopper->best_step();
  }
  if (is_main && options.restore_best_at_end && stopper && stopper->has_best()) {
    absl::StatusOr<CheckpointInfo> best = LoadCheckpoint(
        best_path, {&model}, {.restore_optimizer = false, .restore_rng = false});
    if (!best.ok()) return best.status();
    LOG(INFO) << "restored the weights of step " << best->step << " from " << best_path;
  }
  if (group != nullptr) {
    // Every rank ends with rank 0's model (the best one when restored) and leaves together.
    std::vector<at::Tensor> tensors = model.parameters();
    for (const at::Tensor& b : model.buffers()) tensors.push_back(b);
    status = group->Broadcast(tensors);
    if (status.ok()) status = group->Barrier();
    if (!status.ok()) return status;
  }
  result.seconds = run_examples.ElapsedSeconds();
  result.examples_per_second = run_examples.Rate();
  result.tokens_per_second = run_tokens.Rate();
  if (logger) {
    nlohmann::json final_json = result.ToJson();
    final_json["config"] = options.config;
    status = logger->WriteFinal(final_json);
    if (!status.ok()) return status;
  }
  if (is_main) {
    LOG(INFO) << "training stopped (" << StopReasonName(result.stop_reason) << ") after step "
              << step;
  }
  return result;
}

}  // namespace sf::training
