// Checkpoints: everything needed to continue a run, in one file that is either complete and
// verified or refused with a clear error.
//
//   sf::training::TrainingState state{.model = model.get(), .optimizer = &adamw, .rng = &rng};
//   absl::Status s = sf::training::SaveCheckpoint(
//       "/runs/a/ckpt-000001000.sfckpt", state,
//       {.step = 1000, .config = config_json, .tokenizer = tokenizer_json});
//
//   absl::StatusOr<sf::training::CheckpointInfo> info = sf::training::LoadCheckpoint(
//       path, state, {.expected_config = config_json});   // mismatch -> error naming the keys
//
// A checkpoint holds the model's parameters and buffers, the optimizer state, the step, the
// random generators (LibTorch's default CPU generator, the CUDA one when the model is on a
// GPU, and an optional std::mt19937_64 the loop samples data with), the run configuration
// (JSON) and the tokenizer (an opaque string, e.g. its JSON), plus free-form loop state.
//
// File format (integers little-endian):
//   0   8 bytes  magic "\x89SFCKPT\n"
//   8   uint32   format version (1)
//   12  uint64   H, header length          20  uint64  P, payload length
//   28  uint32   CRC-32C of the header     32  uint32  CRC-32C of the payload
//   36  uint32   CRC-32C of bytes 0..35
//   40  H bytes  header: JSON {step, config, tokenizer, loop_state, model tensor manifest,
//                optimizer type and parameter groups, rng}
//   40+H P bytes payload: a LibTorch archive (torch::serialize) with the tensors
// The file must be exactly 40 + H + P bytes, so a file cut at any byte fails with DataLoss
// naming the path, as does any flipped bit (CRCs). Files are written through
// AtomicFileWriter: a crash mid-write leaves the previous checkpoint untouched.
// The CRCs guard against corruption, not against malice: the payload is read by LibTorch's
// archive reader, which can crash on bytes crafted to pass the CRCs, so load checkpoints only
// from sources you trust (as with any LibTorch or PyTorch archive).
//
// Loading checks everything it can before changing anything: configuration (FailedPrecondition
// naming each differing key with both values), parameter names, shapes and dtypes, optimizer
// type and parameter groups.
#ifndef SCRATCHFORMER_TRAINING_CHECKPOINT_H_
#define SCRATCHFORMER_TRAINING_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "training/safetensors.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn
namespace torch::optim {
class Optimizer;
}  // namespace torch::optim

namespace sf::training {

struct CheckpointInfo {
  int64_t step = 0;
  nlohmann::json config = nlohmann::json::object();
  std::string tokenizer;
  nlohmann::json loop_state = nlohmann::json::object();
};

// The live objects a checkpoint is taken from and restored into. Only `model` is required.
struct TrainingState {
  torch::nn::Module* model = nullptr;
  torch::optim::Optimizer* optimizer = nullptr;
  std::mt19937_64* rng = nullptr;
};

struct CheckpointLoadOptions {
  // When set, the checkpoint's configuration must equal it...
  std::optional<nlohmann::json> expected_config;
  // ...except under these keys: JSON pointers ("/optimizer/lr") or top-level names ("lr").
  std::vector<std::string> config_keys_allowed_to_differ;
  bool restore_optimizer = true;
  bool restore_rng = true;
};

absl::StatusOr<std::string> EncodeCheckpoint(const TrainingState& state,
                                             const CheckpointInfo& info);
absl::Status SaveCheckpoint(const std::string& path, const TrainingState& state,
                            const CheckpointInfo& info);

// `source` names the bytes in messages (their path).
absl::StatusOr<CheckpointInfo> DecodeCheckpoint(absl::string_view bytes,
                                                const std::string& source,
                                                const TrainingState& state,
                                                const CheckpointLoadOptions& options = {});
absl::StatusOr<CheckpointInfo> LoadCheckpoint(const std::string& path,
                                              const TrainingState& state,
                                              const CheckpointLoadOptions& options = {});

// The verified header alone: build a model from a checkpoint's config, then LoadCheckpoint.
absl::StatusOr<CheckpointInfo> ReadCheckpointInfo(const std::string& path);

// The model tensors (CPU) under their names, without a model: e.g. to export to safetensors.
absl::StatusOr<NamedTensors> ReadCheckpointTensors(const std::string& path);

// Keys where `checkpoint` and `current` differ, one readable line each:
//   "/d_model: 64 in the checkpoint, 128 in this run". Objects are compared key by key.
std::vector<std::string> DiffConfigs(const nlohmann::json& checkpoint,
                                     const nlohmann::json& current,
                                     const std::vector<std::string>& allowed_to_differ = {});

// A directory of periodic checkpoints "ckpt-<step, 9+ digits>.sfckpt".
std::string CheckpointFileName(int64_t step);
// (step, path) of each checkpoint in `dir`, oldest first; an absent directory has none.
absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> ListCheckpoints(
    const std::string& dir);
// Deletes all but the newest `keep_last` (>= 1) checkpoints, and temporary files left by
// interrupted checkpoint writes.
absl::Status PruneCheckpoints(const std::string& dir, int keep_last);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_CHECKPOINT_H_
