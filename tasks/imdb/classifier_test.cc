#include "tasks/imdb/classifier.h"

#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attention/multi_head_attention.h"
#include "tokenization/batching.h"

namespace sf::tasks::imdb {
namespace {

using attention::AttentionBackend;
using tokenization::TokenId;

ImdbClassifierOptions SmallOptions() {
  return ImdbClassifierOptions(50).d_model(16).heads(4).layers(2).d_ff(32).max_length(12);
}

std::vector<std::vector<TokenId>> Sequences() {
  return {{7, 8, 9, 10, 11}, {12, 13}, {14, 15, 16, 17, 18, 19, 20, 21, 22}, {23}};
}

TEST(ImdbClassifierTest, PackedFusedPathMatchesPaddedReference) {
  for (Pooling pooling : {Pooling::kMean, Pooling::kCls}) {
    torch::manual_seed(3);
    ImdbClassifier model(SmallOptions().pooling(pooling).backend(AttentionBackend::kFused));
    model->eval();
    const tokenization::PackedBatch batch = tokenization::PackBatch(Sequences());
    torch::NoGradGuard no_grad;
    const at::Tensor fused = model->forward(batch);
    ASSERT_EQ(fused.sizes(), (std::vector<int64_t>{4, 2}));
    for (AttentionBackend backend : {AttentionBackend::kReference, AttentionBackend::kLibTorch}) {
      model->set_backend(backend);
      EXPECT_TRUE(torch::allclose(model->forward(batch), fused, 1e-4, 1e-5))
          << attention::AttentionBackendName(backend) << " " << PoolingName(pooling);
    }
    model->set_backend(AttentionBackend::kFused);
  }
}

TEST(ImdbClassifierTest, ASequenceIsClassifiedAloneAsInABatch) {
  torch::manual_seed(4);
  ImdbClassifier model(SmallOptions());
  model->eval();
  torch::NoGradGuard no_grad;
  const std::vector<std::vector<TokenId>> sequences = Sequences();
  const at::Tensor batched = model->forward(tokenization::PackBatch(sequences));
  for (size_t i = 0; i < sequences.size(); ++i) {
    const at::Tensor alone = model->forward(tokenization::PackBatch({sequences[i]}));
    EXPECT_TRUE(torch::allclose(alone[0], batched[i], 1e-4, 1e-5)) << i;
  }
}

TEST(ImdbClassifierTest, GradientsReachEveryTrainedParameter) {
  torch::manual_seed(5);
  ImdbClassifier model(SmallOptions().backend(AttentionBackend::kFused));
  const tokenization::PackedBatch batch = tokenization::PackBatch(Sequences());
  const at::Tensor loss =
      torch::cross_entropy_loss(model->forward(batch), torch::tensor({1, 0, 1, 0}));
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(ImdbClassifierTest, AttentionWeightsPerLayerAndHead) {
  torch::manual_seed(6);
  ImdbClassifier model(SmallOptions());
  model->eval();
  torch::NoGradGuard no_grad;
  const std::vector<TokenId> ids = {7, 8, 9, 10, 11};
  ClassifierAttention out = model->forward_with_attention(ids);
  ASSERT_EQ(out.attention.size(), 2u);
  for (const at::Tensor& w : out.attention) {
    ASSERT_EQ(w.sizes(), (std::vector<int64_t>{4, 5, 5}));
    EXPECT_TRUE(torch::allclose(w.sum(-1), torch::ones({4, 5}), 1e-5, 1e-5));
  }
  const at::Tensor logits = model->forward(tokenization::PackBatch({ids}));
  EXPECT_TRUE(torch::allclose(out.logits, logits[0], 1e-4, 1e-5));
}

TEST(ImdbClassifierTest, OptionsRoundTripThroughJson) {
  const ImdbClassifierOptions options =
      SmallOptions().pooling(Pooling::kCls).backend(AttentionBackend::kReference).dropout(0.2);
  absl::StatusOr<ImdbClassifierOptions> back = ImdbClassifierOptions::FromJson(options.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), options.ToJson());

  nlohmann::json broken = options.ToJson();
  broken["heads"] = 3;
  absl::StatusOr<ImdbClassifierOptions> bad = ImdbClassifierOptions::FromJson(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("heads"), std::string::npos) << bad.status();
  broken = options.ToJson();
  broken.erase("d_ff");
  bad = ImdbClassifierOptions::FromJson(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("d_ff"), std::string::npos) << bad.status();
  broken = options.ToJson();
  broken["backend"] = "magic";
  EXPECT_FALSE(ImdbClassifierOptions::FromJson(broken).ok());
}

}  // namespace
}  // namespace sf::tasks::imdb
