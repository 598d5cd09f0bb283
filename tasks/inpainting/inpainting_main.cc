#include "tasks/inpainting/inpainting_main.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "tasks/inpainting/evaluation.h"
#include "tasks/inpainting/inpainting_data.h"
#include "training/distributed.h"
#include "training/distributed_flags.h"
#include "training/file_io.h"
#include "training/optimizer.h"
#include "training/train_flags.h"
#include "training/train_loop.h"
#include "vision/mask_flags.h"
#include "vision/masks.h"
#include "vision/metrics.h"
#include "vision/mnist.h"
#include "vision/neighbour_fill.h"

ABSL_FLAG(std::string, data_dir, sf::vision::kFashionMnistDir,
          "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (MNIST format).");
ABSL_FLAG(int64_t, batch_size, 64,
          "Training images per update, over all processes: with --world_size=N each process "
          "takes batch_size / N of them.");
ABSL_FLAG(int64_t, eval_batch_size, 500, "Images per batch in evaluation.");
ABSL_FLAG(int64_t, eval_limit, 0, "Evaluate only the first N test images (0 = all).");
ABSL_FLAG(std::string, out_dir, "",
          "Directory for model.sfckpt, metrics.json, metrics.csv, grid.png and the training "
          "logs; checkpoints go to <out_dir>/checkpoints unless --checkpoint_dir is set.");
ABSL_FLAG(std::string, checkpoint, "",
          "A saved model: evaluate it (no training), or inpaint --input with it.");
ABSL_FLAG(std::string, input, "", "A PNG to inpaint with --checkpoint (grayscale or colour).");
ABSL_FLAG(std::string, output, "inpainted.png", "Where --input's inpainted image is written.");
ABSL_FLAG(int64_t, grid_rows, 16, "Test images shown in grid.png.");
ABSL_FLAG(int64_t, grid_scale, 4, "Nearest-neighbour enlargement of the grid images.");

namespace sf::tasks::inpainting {
namespace {

// Images of the test set scored during training (--eval_every): a quick look, not the result.
constexpr int64_t kQuickEvalImages = 1000;
// A bound far above any batch that fits in memory, so that an absurd --batch_size is an error
// naming the flag rather than a failed allocation.
constexpr int64_t kMaxBatchSize = int64_t{1} << 20;
// Neighbours averaged by the table's nearest-neighbour fill (vision/neighbour_fill.h).
constexpr int64_t kTableNeighbours = 20;

void ApplyDefaults(const TaskDefaults& defaults) {
  absl::SetFlag(&FLAGS_steps, defaults.steps);
  absl::SetFlag(&FLAGS_lr, defaults.lr);
  absl::SetFlag(&FLAGS_warmup_steps, defaults.warmup_steps);
  absl::SetFlag(&FLAGS_min_lr_ratio, defaults.min_lr_ratio);
  absl::SetFlag(&FLAGS_weight_decay, defaults.weight_decay);
  absl::SetFlag(&FLAGS_batch_size, defaults.batch_size);
  absl::SetFlag(&FLAGS_clip_grad_norm, defaults.clip_grad_norm);
  absl::SetFlag(&FLAGS_mask, defaults.mask);
  absl::SetFlag(&FLAGS_out_dir, defaults.out_dir);
}

// Batch, evaluation and output flags, checked before any training so that a typo costs seconds,
// not a finished run.
absl::Status CheckRunFlags() {
  const int64_t eval_batch_size = absl::GetFlag(FLAGS_eval_batch_size);
  if (eval_batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--eval_batch_size must be >= 1, got ", eval_batch_size));
  }
  const int64_t eval_limit = absl::GetFlag(FLAGS_eval_limit);
  if (eval_limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--eval_limit must be >= 0 (0: all test images), got ", eval_limit));
  }
  const int64_t grid_rows = absl::GetFlag(FLAGS_grid_rows);
  if (grid_rows < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grid_rows must be >= 0 (0: no grid), got ", grid_rows));
  }
  const int64_t grid_scale = absl::GetFlag(FLAGS_grid_scale);
  if (grid_scale < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--grid_scale must be >= 1, got ", grid_scale));
  }
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  if (batch_size < 1 || batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(absl::StrCat("--batch_size must be in [1, ", kMaxBatchSize,
                                                   "], got ", batch_size));
  }
  return absl::OkStatus();
}

absl::Status InpaintInput(const InpaintingTask& task, const vision::MaskOptions& masks) {
  const std::string checkpoint = runtime::ResolveUserPath(absl::GetFlag(FLAGS_checkpoint));
  if (checkpoint.empty()) {
    return absl::InvalidArgumentError("--input needs --checkpoint, a model saved by a training run");
  }
  absl::StatusOr<LoadedModel> model = LoadInpaintingModel(checkpoint, task.build_model);
  if (!model.ok()) return model.status();
  absl::Status fits = vision::CheckImagesFit(masks, model->height, model->width);
  if (!fits.ok()) return fits;
  if (model->model->UsesTrainingImages()) {
    const std::string data_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_data_dir));
    absl::StatusOr<InpaintingData> data = LoadInpaintingData(data_dir);
    if (!data.ok()) {
      return absl::Status(data.status().code(),
                          absl::StrCat(checkpoint, " looks up the images it was trained on: ",
                                       data.status().message()));
    }
    absl::Status attached = AttachTrainingImages(*model, checkpoint, data->train, data_dir);
    if (!attached.ok()) return attached;
  }
  const std::string input = runtime::ResolveUserPath(absl::GetFlag(FLAGS_input));
  const std::string output = runtime::ResolveUserPath(absl::GetFlag(FLAGS_output));
  if (output.empty()) {
    return absl::InvalidArgumentError("--output must name the PNG file to write");
  }
  absl::StatusOr<InpaintFileResult> result =
      InpaintPngFile(*model, input, output, masks, absl::GetFlag(FLAGS_mask_seed));
  if (!result.ok()) return result.status();
  std::cout << absl::StrFormat("inpainted %s (%s hole, %.1f%% of pixels) with %s -> %s\n", input,
                               DescribeMasks(masks), 100.0 * result->mask.mean().item<double>(),
                               checkpoint, output);
  return absl::OkStatus();
}

// Trains a new model with the training loop; returns it in eval mode.
absl::StatusOr<std::shared_ptr<InpaintingModel>> Train(const InpaintingTask& task,
                                                       const InpaintingData& data,
                                                       const vision::MaskOptions& masks,
                                                       const std::string& out_dir,
                                                       training::DistributedGroup* group,
                                                       nlohmann::json& config) {
  const bool is_main = group == nullptr || group->rank() == 0;
  std::ostream discarded(nullptr);
  std::ostream& log = is_main ? std::cerr : discarded;
  const int64_t height = data.train.size(2), width = data.train.size(3);
  absl::StatusOr<nlohmann::json> model_config = task.model_config_from_flags(height, width);
  if (!model_config.ok()) return model_config.status();
  absl::StatusOr<std::shared_ptr<InpaintingModel>> model = task.build_model(*model_config);
  if (!model.ok()) return model.status();
  const int64_t batch_size = absl::GetFlag(FLAGS_batch_size);
  config = ModelCheckpointConfig(*model_config, height, width);
  config["batch_size"] = batch_size;
  config["train_mask"] = DescribeMasks(masks);
  config["data_dir"] = data.dir;
  if ((*model)->UsesTrainingImages()) {
    try {
      (*model)->SetTrainingImages(data.train);
    } catch (const c10::Error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("nearest-neighbour prior (--neighbours): ", e.what_without_backtrace()));
    }
    config["training_images"] = vision::ImagesFingerprint(data.train);
  }

  absl::StatusOr<training::TrainLoopOptions> options = training::TrainLoopOptionsFromFlags();
  if (!options.ok()) return options.status();
  absl::StatusOr<training::LrScheduleOptions> lr = training::LrScheduleOptionsFromFlags();
  if (!lr.ok()) return lr.status();
  absl::StatusOr<training::AdamWConfig> adamw = training::AdamWConfigFromFlags();
  if (!adamw.ok()) return adamw.status();
  options->config = config;
  options->distributed = group;
  options->eval_at_end = false;  // the full evaluation follows the run
  if (options->checkpoint_dir.empty()) options->checkpoint_dir = out_dir + "/checkpoints";
  if (options->run_dir.empty()) options->run_dir = out_dir;

  int64_t parameters = 0;
  for (const at::Tensor& p : (*model)->parameters()) parameters += p.numel();
  log << absl::StrFormat(
      "%s: %d parameters, %d steps of %d images (%.2f epochs of %d), %s masks, lr %g\n",
      task.name, parameters, options->max_steps, batch_size,
      static_cast<double>(options->max_steps * batch_size) / data.train.size(0),
      data.train.size(0), DescribeMasks(masks), lr->peak_lr);

  const std::shared_ptr<InpaintingModel>& net = *model;
  std::unique_ptr<torch::optim::AdamW> optimizer = training::MakeAdamW(*net, *adamw);
  const training::LrSchedule schedule(*lr);
  const at::Tensor quick_images =
      data.test.slice(0, 0, std::min<int64_t>(kQuickEvalImages, data.test.size(0)));
  const uint64_t mask_seed = absl::GetFlag(FLAGS_mask_seed);
  training::TrainCallbacks callbacks;
  callbacks.train_step = [&](training::TrainContext& ctx) {
    TrainingBatch batch = SampleTrainingBatch(data.train, batch_size, ctx.rng);
    at::Tensor batch_masks = vision::SampleMasks(masks, batch_size, height, width, ctx.rng);
    if (ctx.world_size > 1) {
      // Every rank draws the same global batch from the loop's generator and keeps its share.
      batch.images = batch.images.slice(0, ctx.rank, batch_size, ctx.world_size);
      batch.indices = batch.indices.slice(0, ctx.rank, batch_size, ctx.world_size);
      batch_masks = batch_masks.slice(0, ctx.rank, batch_size, ctx.world_size);
    }
    return training::StepOutput{net->TrainingLoss(batch.images, batch_masks, batch.indices),
                                batch.images.size(0)};
  };
  callbacks.evaluate = [&](training::EvalContext&) {
    const at::Tensor quick_masks =
        vision::IndexedMasks(masks, mask_seed, 0, quick_images.size(0), height, width);
    vision::InpaintingMetrics metrics;
    const at::Tensor loss = net->Loss(quick_images, quick_masks);
    metrics.Add(Composite(net->Reconstruct(quick_images, quick_masks), quick_images, quick_masks),
                quick_images, quick_masks);
    const vision::InpaintingScores scores = metrics.Scores();
    return training::Metrics{
        {"loss", loss.item<double>()}, {"psnr", scores.psnr}, {"ssim", scores.ssim}};
  };
  absl::StatusOr<training::TrainResult> result =
      training::RunTrainLoop(*net, *optimizer, &schedule, *options, callbacks);
  if (!result.ok()) return result.status();
  log << absl::StrFormat("trained %d steps in %.1f s (%.0f images/s), last loss %.5f\n",
                               result->steps, result->seconds, result->examples_per_second,
                               result->last_train_loss);
  config["train_seconds"] = result->seconds;
  config["steps"] = result->steps;
  net->eval();
  return net;
}

absl::Status Run(const InpaintingTask& task) {
  absl::Status configured = runtime::ConfigureRuntime(runtime::RuntimeOptionsFromFlags());
  if (!configured.ok()) return configured;
  const std::string checkpoint = runtime::ResolveUserPath(absl::GetFlag(FLAGS_checkpoint));
  // Only training is distributed; evaluating or inpainting with a checkpoint is one process.
  training::DistributedOptions distributed;
  if (checkpoint.empty()) {
    absl::StatusOr<training::DistributedOptions> from_flags =
        training::DistributedOptionsFromFlags();
    if (!from_flags.ok()) return from_flags.status();
    distributed = *from_flags;
    absl::StatusOr<int64_t> per_rank =
        training::PerRankBatchSize(absl::GetFlag(FLAGS_batch_size), distributed.world_size);
    if (!per_rank.ok()) return per_rank.status();
  }
  const bool is_main = distributed.rank == 0;
  std::ostream discarded(nullptr);
  std::ostream& log = is_main ? std::cerr : discarded;
  log << runtime::RuntimeBanner() << "\n";
  absl::StatusOr<vision::MaskOptions> masks =
      vision::MaskOptionsFromFlags({.min_center_size = 1});
  if (!masks.ok()) return masks.status();
  if (!absl::GetFlag(FLAGS_input).empty()) return InpaintInput(task, *masks);
  absl::Status flags_valid = CheckRunFlags();
  if (!flags_valid.ok()) return flags_valid;
  absl::StatusOr<std::unique_ptr<training::DistributedGroup>> group =
      training::DistributedGroup::Join(distributed);
  if (!group.ok()) return group.status();

  const auto start = std::chrono::steady_clock::now();
  const std::string data_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_data_dir));
  absl::StatusOr<InpaintingData> data = LoadInpaintingData(data_dir);
  if (!data.ok()) return data.status();
  const int64_t height = data->train.size(2), width = data->train.size(3);
  absl::Status fits = vision::CheckImagesFit(*masks, height, width);
  if (!fits.ok()) return fits;
  log << absl::StrFormat("data: %d training and %d test images (%dx%d) from %s\n",
                               data->train.size(0), data->test.size(0), width, height, data_dir);

  const std::string out_dir = runtime::ResolveUserPath(absl::GetFlag(FLAGS_out_dir));
  if (out_dir.empty()) return absl::InvalidArgumentError("--out_dir must not be empty");
  if (is_main) {
    absl::Status created = training::CreateDirectories(out_dir);
    if (!created.ok()) return created;
  }

  std::shared_ptr<InpaintingModel> model;
  nlohmann::json config;
  if (!checkpoint.empty()) {
    absl::StatusOr<LoadedModel> loaded = LoadInpaintingModel(checkpoint, task.build_model);
    if (!loaded.ok()) return loaded.status();
    if (loaded->height != height || loaded->width != width) {
      return absl::InvalidArgumentError(absl::StrCat(
          checkpoint, " was trained on ", loaded->width, "x", loaded->height, " images, but ",
          data_dir, " has ", width, "x", height, " images"));
    }
    absl::Status attached = AttachTrainingImages(*loaded, checkpoint, data->train, data_dir);
    if (!attached.ok()) return attached;
    std::cerr << "evaluating " << checkpoint << " (step " << loaded->step << ")\n";
    model = loaded->model;
    config = loaded->config;
  } else {
    absl::StatusOr<std::shared_ptr<InpaintingModel>> trained =
        Train(task, *data, *masks, out_dir, group->get(), config);
    if (!trained.ok()) return trained.status();
    if (!is_main) return absl::OkStatus();
    model = *trained;
    const std::string model_path = out_dir + "/model.sfckpt";
    absl::Status saved = SaveInpaintingModel(model_path, *model, config);
    if (!saved.ok()) return saved;
    std::cout << "model: " << model_path << "\n";
  }

  const int64_t eval_batch_size = absl::GetFlag(FLAGS_eval_batch_size);
  at::Tensor test = data->test;
  if (absl::GetFlag(FLAGS_eval_limit) > 0) {
    test = test.slice(0, 0, std::min(test.size(0), absl::GetFlag(FLAGS_eval_limit)));
  }
  const EvaluationOptions eval_options{.masks = *masks,
                                       .mask_seed = absl::GetFlag(FLAGS_mask_seed),
                                       .batch_size = eval_batch_size};
  const FillFunction model_fill = [&model](const at::Tensor& images, const at::Tensor& hole) {
    return Composite(model->Reconstruct(images, hole), images, hole);
  };
  std::shared_ptr<const vision::NeighbourFill> neighbours;
  if (data->train.size(0) > kTableNeighbours) {
    neighbours = std::make_shared<const vision::NeighbourFill>(
        data->train, vision::NeighbourFillOptions{.k = kTableNeighbours});
  }
  std::vector<Method> methods = ClassicalBaselines(data->train.mean(0), neighbours);
  methods.push_back({task.model_name, "model", model_fill});
  model->eval();
  const EvaluationReport report = Evaluate(test, methods, eval_options);
  std::cout << FormatTable(report, eval_options);

  const int64_t rows = std::min(absl::GetFlag(FLAGS_grid_rows), test.size(0));
  std::string grid_path;
  if (rows > 0) {
    grid_path = out_dir + "/grid.png";
    torch::NoGradGuard no_grad;
    const at::Tensor images = test.slice(0, 0, rows);
    const at::Tensor hole =
        vision::IndexedMasks(*masks, eval_options.mask_seed, 0, rows, height, width);
    absl::Status written = WriteReconstructionGrid(grid_path, images, hole,
                                                   model_fill(images, hole),
                                                   absl::GetFlag(FLAGS_grid_scale));
    if (!written.ok()) return written;
    std::cout << "grid (original | masked | " << task.model_name << "): " << grid_path << "\n";
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json metrics = ReportJson(report, eval_options);
  metrics["task"] = task.name;
  metrics["data_dir"] = data_dir;
  metrics["config"] = config;
  metrics["checkpoint"] = checkpoint;
  metrics["grid"] = grid_path;
  metrics["wall_seconds"] = seconds;
  metrics["runtime"] = runtime::RuntimeBanner();
  const std::string metrics_path = out_dir + "/metrics.json";
  absl::Status written = training::WriteFileAtomically(metrics_path, metrics.dump(2) + "\n");
  if (!written.ok()) return written;
  written = training::WriteFileAtomically(out_dir + "/metrics.csv", ReportCsv(report));
  if (!written.ok()) return written;
  std::cout << absl::StrFormat("metrics: %s (and metrics.csv); wall time %.1f s\n", metrics_path,
                               seconds);
  return absl::OkStatus();
}

}  // namespace

int RunInpaintingMain(int argc, char** argv, const InpaintingTask& task) {
  ApplyDefaults(task.defaults);
  absl::SetProgramUsageMessage(task.usage);
  absl::ParseCommandLine(argc, argv);
  absl::Status status;
  try {
    status = Run(task);
  } catch (const c10::Error& e) {
    status = absl::InternalError(e.what_without_backtrace());
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sf::tasks::inpainting
