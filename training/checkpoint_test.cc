#include "training/checkpoint.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

struct NetImpl : torch::nn::Module {
  explicit NetImpl(int64_t hidden = 4) {
    fc = register_module("fc", torch::nn::Linear(3, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
    drop = register_module("drop", torch::nn::Dropout(0.5));
    out = register_module("out", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(torch::Tensor x) { return out(drop(bn(fc(x)).relu())); }
  torch::nn::Linear fc{nullptr}, out{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(Net);

std::string FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("checkpoint_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// One AdamW step on a random batch drawn with `rng` (data order) and dropout (torch RNG).
void TrainStep(Net& net, torch::optim::Optimizer& opt, std::mt19937_64& rng) {
  const double shift = std::uniform_real_distribution<double>(-1, 1)(rng);
  torch::Tensor x = torch::randn({8, 3}) + shift;
  torch::Tensor y = x.sum(1, /*keepdim=*/true);
  opt.zero_grad();
  torch::Tensor loss = (net->forward(x) - y).pow(2).mean();
  loss.backward();
  opt.step();
}

struct Trainee {
  Net net;
  torch::optim::AdamW opt;
  std::mt19937_64 rng;
  explicit Trainee(int64_t hidden = 4)
      : net(hidden), opt(net->parameters(), torch::optim::AdamWOptions(0.01)), rng(1) {}
  TrainingState state() { return {net.get(), &opt, &rng}; }
};

std::map<std::string, torch::Tensor> TensorMap(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : ModuleTensors(m)) out[name] = t;
  return out;
}

void ExpectSameTensors(const torch::nn::Module& a, const torch::nn::Module& b) {
  std::map<std::string, torch::Tensor> ta = TensorMap(a), tb = TensorMap(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (const auto& [name, t] : ta) {
    ASSERT_TRUE(tb.count(name)) << name;
    EXPECT_TRUE(torch::equal(t, tb[name])) << name;
  }
}

const nlohmann::json kConfig = {{"d_model", 4}, {"layers", 2}, {"optim", {{"lr", 0.01}}}};

TEST(CheckpointTest, RestoresModelOptimizerRngAndInfo) {
  const std::string path = FreshDir("roundtrip") + "/c.sfckpt";
  torch::manual_seed(0);
  Trainee a;
  for (int i = 0; i < 3; ++i) TrainStep(a.net, a.opt, a.rng);
  CheckpointInfo info{.step = 3, .config = kConfig, .tokenizer = R"({"vocab":["a","b"]})",
                      .loop_state = {{"examples", 24}}};
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), info).ok());
  std::map<std::string, torch::Tensor> saved;
  for (const auto& [name, t] : TensorMap(*a.net)) saved[name] = t.clone();
  // The uninterrupted run goes on for three steps (drawing from LibTorch's generator and its
  // own data-order generator)...
  for (int i = 0; i < 3; ++i) TrainStep(a.net, a.opt, a.rng);

  // ...and a fresh run, started from other states entirely, loads the checkpoint...
  torch::manual_seed(123);
  Trainee b;
  b.rng.seed(99);
  absl::StatusOr<CheckpointInfo> loaded =
      LoadCheckpoint(path, b.state(), {.expected_config = kConfig});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->step, 3);
  EXPECT_EQ(loaded->config, kConfig);
  EXPECT_EQ(loaded->tokenizer, info.tokenizer);
  EXPECT_EQ(loaded->loop_state, info.loop_state);
  for (const auto& [name, t] : TensorMap(*b.net)) {
    EXPECT_TRUE(torch::equal(t, saved.at(name))) << name;
  }
  // ...and continues bitwise the same: optimizer moments and step counts, the data-order
  // generator and LibTorch's generator (randn, dropout) all came back.
  for (int i = 0; i < 3; ++i) TrainStep(b.net, b.opt, b.rng);
  ExpectSameTensors(*a.net, *b.net);
  EXPECT_EQ(a.rng(), b.rng());
}

TEST(CheckpointTest, TruncationAtEveryByteFailsWithDataLossNamingTheSource) {
  torch::manual_seed(0);
  Trainee a;
  TrainStep(a.net, a.opt, a.rng);
  absl::StatusOr<std::string> bytes = EncodeCheckpoint(a.state(), {.step = 1, .config = kConfig});
  ASSERT_TRUE(bytes.ok());
  Trainee b;
  const torch::Tensor before = b.net->fc->weight.clone();
  for (size_t len = 0; len < bytes->size(); ++len) {
    absl::StatusOr<CheckpointInfo> r =
        DecodeCheckpoint(absl::string_view(*bytes).substr(0, len), "/runs/x/c.sfckpt", b.state());
    ASSERT_FALSE(r.ok()) << "cut at " << len << " of " << bytes->size() << " loaded";
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    ASSERT_TRUE(absl::StrContains(r.status().message(), "/runs/x/c.sfckpt")) << r.status();
  }
  EXPECT_TRUE(torch::equal(b.net->fc->weight, before)) << "a failed load changed the model";
}

TEST(CheckpointTest, TruncatedFilesOnDiskFailToLoad) {
  const std::string dir = FreshDir("truncated");
  torch::manual_seed(0);
  Trainee a;
  const std::string bytes = *EncodeCheckpoint(a.state(), {.step = 1});
  // Every cut inside the prelude and the JSON header, then every 97th byte of the payload.
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(bytes[12 + i]);
  const size_t payload_start = 40 + header_size;
  ASSERT_LT(payload_start, bytes.size());
  std::vector<size_t> cuts;
  for (size_t i = 0; i <= payload_start; ++i) cuts.push_back(i);
  for (size_t i = payload_start + 1; i < bytes.size(); i += 97) cuts.push_back(i);
  cuts.push_back(bytes.size() - 1);
  Trainee b;
  for (size_t cut : cuts) {
    // A new file per cut: truncating and rewriting one file makes ext4 flush it each time.
    const std::string path = dir + "/cut-" + std::to_string(cut) + ".sfckpt";
    std::ofstream(path, std::ios::binary) << bytes.substr(0, cut);
    absl::StatusOr<CheckpointInfo> r = LoadCheckpoint(path, b.state());
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << cut << ": " << r.status();
    ASSERT_TRUE(absl::StrContains(r.status().message(), path));
    ASSERT_TRUE(absl::StrContains(r.status().message(), cut < 40 ? "prelude" : "truncated"))
        << r.status();
    fs::remove(path);
  }
}

TEST(CheckpointTest, FlippedBitsAndTrailingBytesAreDetected) {
  torch::manual_seed(0);
  Trainee a;
  const std::string bytes = *EncodeCheckpoint(a.state(), {.step = 1});
  Trainee b;
  for (size_t pos = 0; pos < bytes.size(); pos += (pos < 64 ? 1 : 37)) {
    std::string bad = bytes;
    bad[pos] ^= 0x10;
    absl::StatusOr<CheckpointInfo> r = DecodeCheckpoint(bad, "flip", b.state());
    ASSERT_FALSE(r.ok()) << "flip at " << pos;
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  }
  absl::StatusOr<CheckpointInfo> r = DecodeCheckpoint(bytes + "x", "extra", b.state());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "1 unexpected bytes")) << r.status();
  r = DecodeCheckpoint(std::string(100, 'x'), "junk", b.state());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "not a Scratchformer checkpoint"));
}

// A writer process killed by the kernel in the middle of writing the new checkpoint (file-size
// limit, SIGXFSZ) must leave the previous checkpoint loadable and unchanged.
TEST(CheckpointTest, CrashMidWriteLeavesThePreviousCheckpointIntact) {
  const std::string dir = FreshDir("crash");
  const std::string path = dir + "/" + CheckpointFileName(5);
  torch::manual_seed(0);
  Trainee a;
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), {.step = 5}).ok());
  const std::string old_bytes = *ReadFileToString(path);
  TrainStep(a.net, a.opt, a.rng);
  const std::string new_bytes = *EncodeCheckpoint(a.state(), {.step = 6});

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_DFL);
    const rlim_t limit = new_bytes.size() / 2;
    struct rlimit rl = {limit, limit};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    ::_exit(WriteFileAtomically(path, new_bytes).ok() ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) << status;

  EXPECT_EQ(*ReadFileToString(path), old_bytes);
  Trainee b;
  absl::StatusOr<CheckpointInfo> r = LoadCheckpoint(path, b.state());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->step, 5);
  // The half-written temporary is invisible to ListCheckpoints and removed by pruning.
  EXPECT_EQ(ListCheckpoints(dir)->size(), 1u);
  size_t files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);
  ASSERT_TRUE(PruneCheckpoints(dir, 3).ok());
  files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(CheckpointTest, ConfigurationMismatchNamesKeysAndValues) {
  const std::string path = FreshDir("config") + "/c.sfckpt";
  torch::manual_seed(0);
  Trainee a;
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), {.step = 1, .config = kConfig}).ok());
  Trainee b;
  const torch::Tensor before = b.net->fc->weight.clone();
  nlohmann::json other = {{"d_model", 8}, {"layers", 2}, {"optim", {{"lr", 0.5}}},
                          {"vocab", 100}};
  absl::StatusOr<CheckpointInfo> r =
      LoadCheckpoint(path, b.state(), {.expected_config = other});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string m(r.status().message());
  EXPECT_TRUE(absl::StrContains(m, path)) << m;
  EXPECT_TRUE(absl::StrContains(m, "/d_model: 4 in the checkpoint, 8 in this run")) << m;
  EXPECT_TRUE(absl::StrContains(m, "/optim/lr: 0.01 in the checkpoint, 0.5 in this run")) << m;
  EXPECT_TRUE(absl::StrContains(m, "/vocab: absent in the checkpoint, 100 in this run")) << m;
  EXPECT_FALSE(absl::StrContains(m, "/layers")) << m;
  EXPECT_TRUE(torch::equal(b.net->fc->weight, before));

  r = LoadCheckpoint(path, b.state(),
                     {.expected_config = other,
                      .config_keys_allowed_to_differ = {"optim", "/d_model", "vocab"}});
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(CheckpointTest, ModelMismatchNamesParametersAndShapes) {
  const std::string path = FreshDir("shape") + "/c.sfckpt";
  torch::manual_seed(0);
  Trainee a(4);
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), {.step = 1}).ok());
  Trainee b(5);
  absl::StatusOr<CheckpointInfo> r = LoadCheckpoint(path, b.state());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "fc.weight is Float[4, 3] in the checkpoint but Float[5, 3] in "
                                "the model"))
      << r.status();

  torch::nn::Linear lonely(3, 4);
  r = LoadCheckpoint(path, {lonely.get()});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "missing from the checkpoint: weight, bias"))
      << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "the model lacks: bn.bias")) << r.status();
}

TEST(CheckpointTest, OptimizerMismatchIsReported) {
  const std::string path = FreshDir("optimizer") + "/c.sfckpt";
  torch::manual_seed(0);
  Trainee a;
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), {.step = 1}).ok());
  Net net;
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  absl::StatusOr<CheckpointInfo> r = LoadCheckpoint(path, {net.get(), &sgd});
  EXPECT_TRUE(absl::StrContains(r.status().message(), "torch::optim::AdamW, this run uses "
                                                      "torch::optim::SGD"))
      << r.status();
  torch::optim::AdamW partial(std::vector<torch::Tensor>{net->fc->weight});
  r = LoadCheckpoint(path, {net.get(), &partial});
  EXPECT_TRUE(absl::StrContains(r.status().message(), "parameter groups differ")) << r.status();
  // Weights only (e.g. for evaluation): the optimizer is not needed.
  r = LoadCheckpoint(path, {net.get(), &sgd}, {.restore_optimizer = false});
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(CheckpointTest, HeaderAndTensorsReadWithoutAModel) {
  const std::string path = FreshDir("info") + "/c.sfckpt";
  torch::manual_seed(0);
  Trainee a;
  ASSERT_TRUE(SaveCheckpoint(path, a.state(), {.step = 7, .config = kConfig, .tokenizer = "tok"})
                  .ok());
  absl::StatusOr<CheckpointInfo> info = ReadCheckpointInfo(path);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->step, 7);
  EXPECT_EQ(info->tokenizer, "tok");
  absl::StatusOr<NamedTensors> tensors = ReadCheckpointTensors(path);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  NamedTensors expected = ModuleTensors(*a.net);
  ASSERT_EQ(tensors->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*tensors)[i].first, expected[i].first);
    EXPECT_TRUE(torch::equal((*tensors)[i].second, expected[i].second));
  }
  EXPECT_EQ(ReadCheckpointInfo(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(CheckpointTest, DirectoryListingAndPruning) {
  const std::string dir = FreshDir("listing");
  EXPECT_EQ(CheckpointFileName(42), "ckpt-000000042.sfckpt");
  EXPECT_EQ(CheckpointFileName(12345678901), "ckpt-12345678901.sfckpt");
  for (int64_t step : {int64_t{30}, int64_t{10}, int64_t{20}, int64_t{12345678901}}) {
    ASSERT_TRUE(WriteFileAtomically(dir + "/" + CheckpointFileName(step), "x").ok());
  }
  ASSERT_TRUE(WriteFileAtomically(dir + "/best.sfckpt", "x").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/ckpt-abc.sfckpt", "x").ok());
  auto list = ListCheckpoints(dir);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ(list->front().first, 10);
  EXPECT_EQ(list->back().first, 12345678901);
  ASSERT_TRUE(PruneCheckpoints(dir, 2).ok());
  list = ListCheckpoints(dir);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].first, 30);
  EXPECT_TRUE(fs::exists(dir + "/best.sfckpt"));
  EXPECT_TRUE(ListCheckpoints(dir + "/absent")->empty());
}

}  // namespace
}  // namespace sf::training
