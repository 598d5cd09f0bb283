// Weights in the safetensors format, so trained models open in the Python ecosystem
// (`safetensors.torch.load_file`) and weights from there load here.
//
//   absl::Status s = sf::training::ExportSafetensors(*model, "model.safetensors",
//                                                    {{"format", "pt"}});
//   s = sf::training::ImportSafetensors(*model, "model.safetensors");  // names, shapes checked
//
//   absl::StatusOr<sf::training::SafetensorsContents> c =
//       sf::training::LoadSafetensors("model.safetensors");   // name -> tensor, metadata
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
// N, N bytes of JSON {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}, ...,
// "__metadata__": {"k": "v"}}, padded with spaces so the data starts 8-byte aligned, then the
// raw little-endian tensor bytes. Offsets are relative to the data section and must tile it
// exactly: no gap, no overlap, nothing after. Tensors are written largest element size
// first, so every tensor is aligned to its element size.
//
// Reading checks all of that (plus known dtype, sizes equal to shape x element size, BOOL
// bytes 0/1, no duplicate names) and says what is wrong, naming the file.
#ifndef SCRATCHFORMER_TRAINING_SAFETENSORS_H_
#define SCRATCHFORMER_TRAINING_SAFETENSORS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn

namespace sf::training {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct SafetensorsContents {
  NamedTensors tensors;  // CPU tensors, in the order of their data in the file
  std::map<std::string, std::string> metadata;
};

// "F32", "BF16", ... for the dtypes the format and LibTorch share; InvalidArgument otherwise.
absl::StatusOr<std::string> SafetensorsDtypeName(at::ScalarType type);

// The file's bytes. InvalidArgument for an empty or duplicate name, the reserved name
// "__metadata__", an undefined tensor or a dtype the format lacks. Tensors on any device.
absl::StatusOr<std::string> EncodeSafetensors(const NamedTensors& tensors,
                                              const std::map<std::string, std::string>& metadata);

// Parses and validates `bytes`; errors (DataLoss) name `source` (a path, for messages).
absl::StatusOr<SafetensorsContents> DecodeSafetensors(absl::string_view bytes,
                                                      const std::string& source);

// Encode + atomic write / read + decode.
absl::Status SaveSafetensors(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata = {});
absl::StatusOr<SafetensorsContents> LoadSafetensors(const std::string& path);

// Parameters and buffers of `module` under their dotted names (state-dict keys).
NamedTensors ModuleTensors(const torch::nn::Module& module);

absl::Status ExportSafetensors(const torch::nn::Module& module, const std::string& path,
                               const std::map<std::string, std::string>& metadata = {});

// Copies the file's tensors into the module's parameters and buffers in place (they keep
// their device and dtype; values are converted to it, so F16 or BF16 files load into F32
// models). Nothing is modified unless every name matches and every shape agrees; otherwise
// the error lists missing names, unexpected names and shape mismatches. With strict = false,
// names absent from either side are allowed (shapes must still agree).
absl::Status ImportSafetensors(torch::nn::Module& module, const std::string& path,
                               bool strict = true);

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_SAFETENSORS_H_
