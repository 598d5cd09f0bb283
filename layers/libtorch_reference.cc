#include "layers/libtorch_reference.h"

#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace sf::layers {
namespace {

// Renames one path segment of a layer's parameter; `decoder` tells which layer it is in.
std::string RenameSegment(const std::string& segment, bool decoder) {
  if (segment == "multihead_attn") return "cross_attn";
  if (segment == "linear1") return "ffn.linear1";
  if (segment == "linear2") return "ffn.linear2";
  if (segment == "norm1") return "self_attn_residual.norm";
  if (segment == "norm2") return decoder ? "cross_attn_residual.norm" : "ffn_residual.norm";
  if (segment == "norm3") return "ffn_residual.norm";
  return segment;
}

}  // namespace

std::string OurParameterName(const std::string& name, LibTorchModule kind) {
  std::vector<std::string> segments = absl::StrSplit(name, '.');
  bool decoder = kind == LibTorchModule::kDecoderLayer || kind == LibTorchModule::kDecoder ||
                 (kind == LibTorchModule::kTransformer && segments[0] == "decoder");
  for (std::string& segment : segments) segment = RenameSegment(segment, decoder);
  return absl::StrJoin(segments, ".");
}

void CopyLibTorchParameters(torch::nn::Module& theirs, torch::nn::Module& ours,
                            LibTorchModule kind) {
  auto ours_by_name = ours.named_parameters();
  auto theirs_by_name = theirs.named_parameters();
  TORCH_CHECK(ours_by_name.size() == theirs_by_name.size(), "CopyLibTorchParameters: ours has ",
              ours_by_name.size(), " parameters, LibTorch's ", theirs_by_name.size());
  at::NoGradGuard no_grad;
  for (const auto& item : theirs_by_name) {
    std::string name = OurParameterName(item.key(), kind);
    at::Tensor* target = ours_by_name.find(name);
    TORCH_CHECK(target != nullptr, "CopyLibTorchParameters: no parameter ", name, " (LibTorch's ",
                item.key(), ")");
    TORCH_CHECK(target->sizes() == item.value().sizes(), "CopyLibTorchParameters: ", name, " is ",
                target->sizes(), ", LibTorch's ", item.key(), " is ", item.value().sizes());
    target->copy_(item.value());
  }
}

void RandomizeParameters(torch::nn::Module& module, double std) {
  at::NoGradGuard no_grad;
  for (at::Tensor& p : module.parameters()) p.add_(at::randn_like(p) * std);
}

at::Tensor LibTorchKeyPaddingMask(const at::Tensor& lengths, int64_t len) {
  return at::arange(len, at::kLong).unsqueeze(0) >= lengths.unsqueeze(1);
}

at::Tensor LibTorchAttnMask(const attention::MaskSpec& spec, int64_t len_q, int64_t len_k) {
  TORCH_CHECK(!spec.key_lengths().has_value(),
              "LibTorchAttnMask: key lengths go in LibTorch's key_padding_mask");
  at::Tensor allowed = spec.Materialize(len_q, len_k).view({len_q, len_k});
  return at::zeros({len_q, len_k})
      .masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
}

}  // namespace sf::layers
