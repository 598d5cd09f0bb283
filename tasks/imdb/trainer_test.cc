#include "tasks/imdb/trainer.h"

#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "absl/status/status.h"
#include "tasks/imdb/imdb_fixture.h"
#include "tasks/imdb/inference.h"

namespace sf::tasks::imdb {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  fs::remove_all(dir);
  return dir;
}

ImdbTrainConfig TinyConfig(const std::string& name) {
  ImdbTrainConfig c;
  c.data_dir = WriteImdbFixture(TempDir(name + "_data") + "/aclImdb",
                                {.reviews_per_class = 60, .with_test = true});
  c.out_dir = TempDir(name + "_run");
  c.d_model = 16;
  c.heads = 2;
  c.d_ff = 32;
  c.max_length = 24;
  c.vocab_size = 100;
  c.min_freq = 1;
  c.batch_size = 8;
  c.epochs = 4;
  c.lr = 1e-2;
  c.dropout = 0.0;
  c.embedding_dropout = 0.0;
  c.validation_fraction = 0.2;
  c.show_progress = false;
  return c;
}

double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / (end - begin);
}

class TrainerTest : public ::testing::TestWithParam<attention::AttentionBackend> {};

TEST_P(TrainerTest, LossFallsAndTheBestCheckpointPredicts) {
  ImdbTrainConfig config = TinyConfig(attention::AttentionBackendName(GetParam()));
  config.backend = GetParam();
  std::ostringstream log;
  absl::StatusOr<ImdbTrainResult> result = TrainImdb(config, log);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<double>& losses = result->step_losses;
  ASSERT_GE(losses.size(), 30u);
  EXPECT_LT(Mean(losses, losses.size() - 8, losses.size()), Mean(losses, 0, 8) - 0.1) << log.str();
  ASSERT_EQ(result->epochs.size(), 4u);
  EXPECT_GT(result->best_validation_accuracy, 0.8) << log.str();
  ASSERT_TRUE(result->test.has_value());
  EXPECT_GT(result->test->accuracy, 0.8) << log.str();
  EXPECT_NE(log.str().find("padding computed"), std::string::npos) << log.str();
  for (const char* file : {"metrics.json", "metrics.csv", "metrics.svg", "final_metrics.json",
                           "checkpoints/best.sfckpt"}) {
    EXPECT_TRUE(fs::exists(config.out_dir + "/" + file)) << file;
  }

  absl::StatusOr<ImdbModel> model = LoadImdbModel(result->best_checkpoint);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<SentimentPrediction> good =
      Predict(*model, "A wonderful, brilliant film. I loved the music!");
  absl::StatusOr<SentimentPrediction> bad = Predict(*model, "An awful, boring mess. Dull!");
  ASSERT_TRUE(good.ok() && bad.ok()) << good.status() << bad.status();
  EXPECT_EQ(good->label, 1);
  EXPECT_EQ(bad->label, 0);
  EXPECT_GT(good->probability, 0.5);
  EXPECT_NEAR(good->positive_probability, good->probability, 1e-12);

  absl::StatusOr<AttentionMaps> maps = ComputeAttentionMaps(*model, "Superb acting, great plot.");
  ASSERT_TRUE(maps.ok()) << maps.status();
  // "acting" and "," never occur in the fixture.
  EXPECT_EQ(maps->tokens,
            (std::vector<std::string>{"superb", "<unk>", "<unk>", "great", "plot", "."}));
  ASSERT_EQ(maps->weights.size(), 1u);
  EXPECT_EQ(maps->weights[0].sizes(), (std::vector<int64_t>{2, 6, 6}));
  EXPECT_EQ(maps->prediction.label, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, TrainerTest,
                         ::testing::Values(attention::AttentionBackend::kFused,
                                           attention::AttentionBackend::kReference),
                         [](const auto& info) {
                           return attention::AttentionBackendName(info.param);
                         });

TEST(TrainerErrorsTest, MalformedDataFoldersAreNamed) {
  ImdbTrainConfig config = TinyConfig("malformed");
  std::ostringstream log;

  config.data_dir = TempDir("no_such_folder");
  absl::StatusOr<ImdbTrainResult> r = TrainImdb(config, log);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(config.data_dir), std::string::npos) << r.status();

  const std::string empty = TempDir("empty_pos") + "/aclImdb";
  fs::create_directories(empty + "/train/pos");
  fs::create_directories(empty + "/train/neg");
  config.data_dir = empty;
  r = TrainImdb(config, log);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(empty), std::string::npos) << r.status();

  const std::string bad_name = WriteImdbFixture(TempDir("bad_name") + "/aclImdb");
  std::ofstream(bad_name + "/train/pos/review.txt") << "great";
  config.data_dir = bad_name;
  r = TrainImdb(config, log);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("review.txt"), std::string::npos) << r.status();
}

TEST(TrainerErrorsTest, BadConfigurationIsRejectedBeforeReading) {
  ImdbTrainConfig config = TinyConfig("bad_config");
  config.heads = 3;
  std::ostringstream log;
  absl::StatusOr<ImdbTrainResult> r = TrainImdb(config, log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("heads"), std::string::npos) << r.status();
}

TEST(InferenceErrorsTest, MissingOrForeignCheckpointIsNamed) {
  const std::string missing = TempDir("missing") + "/best.sfckpt";
  absl::StatusOr<ImdbModel> model = LoadImdbModel(missing);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find(missing), std::string::npos) << model.status();

  const std::string garbage = TempDir("garbage");
  fs::create_directories(garbage);
  std::ofstream(garbage + "/x.sfckpt") << "not a checkpoint";
  model = LoadImdbModel(garbage + "/x.sfckpt");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("x.sfckpt"), std::string::npos) << model.status();
}

}  // namespace
}  // namespace sf::tasks::imdb
