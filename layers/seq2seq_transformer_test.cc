#include "layers/seq2seq_transformer.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "layers/label_smoothing.h"
#include "layers/lr_schedule.h"
#include "layers/transformer.h"
#include "layers/transformer_decoder.h"

namespace sf::layers {
namespace {

constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kVocab = 10;

Seq2SeqTransformerOptions Small() {
  return Seq2SeqTransformerOptions(kVocab, kVocab)
      .transformer(TransformerOptions()
                       .d_model(32)
                       .heads(4)
                       .num_encoder_layers(2)
                       .num_decoder_layers(2)
                       .d_ff(64)
                       .dropout(0.0))
      .max_len(32);
}

TEST(Seq2SeqTransformerTest, SharedAndTiedWeightsAreOneTensor) {
  Seq2SeqTransformer shared(Small().share_embeddings(true));
  EXPECT_EQ(shared->src_embed.ptr(), shared->tgt_embed.ptr());
  EXPECT_TRUE(shared->generator->weight().is_same(shared->src_embed->weight));
  Seq2SeqTransformer separate(Small());
  EXPECT_TRUE(separate->generator->weight().is_same(separate->tgt_embed->weight));
  EXPECT_FALSE(separate->tgt_embed->weight.is_same(separate->src_embed->weight));
  Seq2SeqTransformer untied(Small().tie_output(false));
  EXPECT_FALSE(untied->generator->tied());
  auto count = [](torch::nn::Module& m) {
    int64_t n = 0;
    for (const at::Tensor& p : m.parameters()) n += p.numel();
    return n;
  };
  // Each untying adds one vocab x d_model matrix.
  EXPECT_EQ(count(*separate) - count(*shared), kVocab * 32);
  EXPECT_EQ(count(*untied) - count(*separate), kVocab * 32);
  EXPECT_THROW(Seq2SeqTransformer(Seq2SeqTransformerOptions(10, 12).share_embeddings(true)),
               c10::Error);
}

TEST(Seq2SeqTransformerTest, StepwiseDecodingMatchesTeacherForcing) {
  at::manual_seed(0);
  Seq2SeqTransformer model(Small());
  model->eval();
  at::Tensor src = at::randint(3, kVocab, {2, 6}, at::kLong);
  at::Tensor src_lengths = at::tensor({6, 4}, at::kLong);
  at::Tensor tgt = at::randint(3, kVocab, {2, 5}, at::kLong);
  at::Tensor logits = model->forward(src, src_lengths, tgt, at::tensor({5, 5}, at::kLong));
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 5, kVocab}));
  at::Tensor memory = model->Encode(src, src_lengths);
  DecoderCache cache;
  std::vector<at::Tensor> steps;
  steps.push_back(model->DecodeStep(tgt.slice(1, 0, 2), memory, src_lengths, &cache));
  for (int64_t t = 2; t < 5; ++t) {
    steps.push_back(model->DecodeStep(tgt.slice(1, t, t + 1), memory, src_lengths, &cache));
  }
  EXPECT_TRUE(at::allclose(at::cat(steps, 1), logits, 1e-4, 1e-5));
  EXPECT_THROW(model->forward(src, at::tensor({6}, at::kLong), tgt, at::tensor({5, 5}, at::kLong)),
               c10::Error);
}

TEST(Seq2SeqTransformerTest, LearnsToCopyWithThePaperRecipe) {
  // Copy task: target = source then <eos>. Label smoothing 0.1 and the warm-up schedule.
  at::manual_seed(0);
  Seq2SeqTransformer model(Small().share_embeddings(true));
  const int64_t batch = 64, len = 5;
  auto make_batch = [&] {
    at::Tensor src = at::randint(3, kVocab, {batch, len}, at::kLong);
    at::Tensor tgt_out = at::cat({src, at::full({batch, 1}, kEos, at::kLong)}, 1);
    at::Tensor tgt_in = at::cat({at::full({batch, 1}, kBos, at::kLong), src}, 1);
    return std::vector<at::Tensor>{src, tgt_in, tgt_out};
  };
  at::Tensor src_lengths = at::full({batch}, len, at::kLong);
  at::Tensor tgt_lengths = at::full({batch}, len + 1, at::kLong);
  torch::optim::Adam adam(model->parameters(),
                          torch::optim::AdamOptions(1.0).betas({0.9, 0.98}).eps(1e-9));
  NoamScheduler schedule(adam, /*d_model=*/32, /*warmup_steps=*/40, /*factor=*/0.5);
  LabelSmoothingOptions smoothing = LabelSmoothingOptions().smoothing(0.1).ignore_index(kPad);
  double first = 0, last = 0;
  for (int step = 0; step < 250; ++step) {
    std::vector<at::Tensor> b = make_batch();
    adam.zero_grad();
    at::Tensor loss = LabelSmoothedCrossEntropy(
        model->forward(b[0], src_lengths, b[1], tgt_lengths), b[2], smoothing);
    loss.backward();
    adam.step();
    schedule.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first);
  std::vector<at::Tensor> test = make_batch();
  at::Tensor decoded = model->GreedyDecode(test[0], src_lengths, kBos, kEos, len + 3);
  EXPECT_TRUE(model->is_training());  // GreedyDecode restores the mode
  ASSERT_GE(decoded.size(1), len + 1);
  at::Tensor correct = (decoded.slice(1, 0, len + 1) == test[2]).all(1);
  EXPECT_GT(correct.to(at::kFloat).mean().item<double>(), 0.8);
}

}  // namespace
}  // namespace sf::layers
