// The command line both inpainting binaries share: train a model on an MNIST-format data set,
// evaluate it against the classical baselines on the whole test set with fixed masks, write
// the table, metrics (JSON, CSV), a PNG grid and the model checkpoint; or, with --input,
// inpaint a user's PNG with a saved model.
//
//   int main(int argc, char** argv) {
//     return sf::tasks::inpainting::RunInpaintingMain(argc, argv, CnnTask());
//   }
//
// Flags defined here: --data_dir --mask --center_size --patch_size --mask_ratio --mask_seed
// --batch_size --eval_batch_size --eval_limit --out_dir --checkpoint --input --output
// --grid_rows --grid_scale; the training flags of //training:train_flags (--steps, --lr,
// --warmup_steps, ...) and --threads/--seed of //runtime:environment. Each binary gives the
// flags its own defaults (InpaintingTask::defaults): the configuration that reaches its target.
//
// Modes:
//   (default)              train, evaluate, write <out_dir>/{model.sfckpt, metrics.json,
//                          metrics.csv, grid.png}
//   --checkpoint=F         evaluate the saved model F instead of training one
//   --checkpoint=F --input=in.png [--output=out.png]   inpaint one image
#ifndef SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MAIN_H_
#define SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MAIN_H_

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "tasks/inpainting/model_io.h"
// --patch_size is read by the Transformer binary: its patches are the masks' patches.
#include "vision/mask_flags.h"

namespace sf::tasks::inpainting {

struct TaskDefaults {
  int64_t steps = 1000;
  double lr = 1e-3;
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.1;  // final learning rate of the cosine decay, as a fraction of lr
  double weight_decay = 0.01;
  int64_t batch_size = 64;
  double clip_grad_norm = 1.0;
  std::string mask = "center";
  std::string out_dir;
};

struct InpaintingTask {
  std::string name;         // e.g. "cnn_inpainting", in messages and the metrics JSON
  std::string model_name;   // the model's row in the table
  std::string usage;
  TaskDefaults defaults;
  // The architecture for height x width images from this binary's own flags
  // (InvalidArgument naming a bad flag).
  std::function<absl::StatusOr<nlohmann::json>(int64_t height, int64_t width)>
      model_config_from_flags;
  ModelBuilder build_model;
};

int RunInpaintingMain(int argc, char** argv, const InpaintingTask& task);

}  // namespace sf::tasks::inpainting

#endif  // SCRATCHFORMER_TASKS_INPAINTING_INPAINTING_MAIN_H_
