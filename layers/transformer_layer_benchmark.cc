// Inference speed of one Transformer encoder layer on each attention backend, against LibTorch's
// torch::nn::TransformerEncoderLayer of the same shape, in the same process (the baseline):
//
//   bazel run //layers:transformer_layer_benchmark -- --benchmark_min_time=1
//
// Shapes: batch 8, length 128 (and 512), d_model 256, 8 heads, d_ff 1024, eval mode, no grad.
#include <cstdint>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/transformerlayer.h>

#include "attention/multi_head_attention.h"
#include "benchmark/benchmark.h"
#include "layers/transformer_encoder_layer.h"

namespace sf::layers {
namespace {

constexpr int64_t kBatch = 8, kDModel = 256, kHeads = 8, kDff = 1024;

void BM_LibTorchEncoderLayer(benchmark::State& state) {
  at::NoGradGuard no_grad;
  torch::nn::TransformerEncoderLayer layer(
      torch::nn::TransformerEncoderLayerOptions(kDModel, kHeads).dim_feedforward(kDff).dropout(0));
  layer->eval();
  at::Tensor x = at::randn({state.range(0), kBatch, kDModel});
  for (auto _ : state) benchmark::DoNotOptimize(layer->forward(x));
}

void BM_EncoderLayer(benchmark::State& state, attention::AttentionBackend backend) {
  at::NoGradGuard no_grad;
  TransformerEncoderLayer layer(
      TransformerLayerOptions(kDModel, kHeads).d_ff(kDff).dropout(0).backend(backend));
  layer->eval();
  at::Tensor x = at::randn({kBatch, state.range(0), kDModel});
  for (auto _ : state) benchmark::DoNotOptimize(layer->forward(x));
}

BENCHMARK(BM_LibTorchEncoderLayer)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncoderLayer, reference, attention::AttentionBackend::kReference)
    ->Arg(128)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncoderLayer, libtorch, attention::AttentionBackend::kLibTorch)
    ->Arg(128)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncoderLayer, fused, attention::AttentionBackend::kFused)
    ->Arg(128)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sf::layers

BENCHMARK_MAIN();
