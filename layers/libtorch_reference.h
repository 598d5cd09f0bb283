// Test helper: runs LibTorch's own Transformer modules (torch::nn::TransformerEncoderLayer,
// TransformerDecoderLayer, TransformerEncoder/Decoder, Transformer) as references for the
// project's, with the same weights and masks.
//
//   torch::nn::TransformerEncoderLayer theirs(
//       torch::nn::TransformerEncoderLayerOptions(16, 4).dim_feedforward(32).dropout(0.0));
//   sf::layers::RandomizeParameters(*theirs);
//   sf::layers::CopyLibTorchParameters(*theirs, *ours, sf::layers::LibTorchModule::kEncoderLayer);
//
// LibTorch 1.13's modules are sequence-first [len, batch, d_model]; their key_padding_mask is
// bool with true = IGNORE, and their attn_mask is added to the scores (float, -inf = masked;
// a bool attn_mask is not supported by the C++ functional in 1.13).
#ifndef SCRATCHFORMER_LAYERS_LIBTORCH_REFERENCE_H_
#define SCRATCHFORMER_LAYERS_LIBTORCH_REFERENCE_H_

#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "attention/masks.h"

namespace sf::layers {

enum class LibTorchModule { kEncoderLayer, kDecoderLayer, kEncoder, kDecoder, kTransformer };

// The project's parameter name for LibTorch's `name` inside a module of kind `kind`
// (e.g. "layers.0.norm2.weight" of a decoder -> "layers.0.cross_attn_residual.norm.weight").
std::string OurParameterName(const std::string& name, LibTorchModule kind);

// Copies every parameter of `theirs` into `ours` (TORCH_CHECKs that names and shapes line up
// and that every parameter of `ours` was written).
void CopyLibTorchParameters(torch::nn::Module& theirs, torch::nn::Module& ours,
                            LibTorchModule kind);

// Adds N(0, std^2) noise to every parameter, so that zero biases and unit LayerNorm weights do
// not hide a mis-copied parameter.
void RandomizeParameters(torch::nn::Module& module, double std = 0.1);

// LibTorch's key_padding_mask for key lengths (int64 [batch]): bool [batch, len], true = pad.
at::Tensor LibTorchKeyPaddingMask(const at::Tensor& lengths, int64_t len);

// LibTorch's float attn_mask [len_q, len_k] (0 or -inf) for a batch-independent MaskSpec.
at::Tensor LibTorchAttnMask(const attention::MaskSpec& spec, int64_t len_q, int64_t len_k);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_LIBTORCH_REFERENCE_H_
