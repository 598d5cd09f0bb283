// End-to-end bad-input suite: every task binary started the way a user would start it, with
// input that is wrong in one way. Each case must end with a non-zero exit and a one-line
// `error: ...` naming the problem (no crash, hang or stack trace), and must leave the files
// already in the output folder (a previous run's checkpoint and metrics) byte for byte as
// they were. The message of every case is written to bad_input_messages.txt in the test's
// undeclared outputs, for review.
//
// The cases need no real data: they use small fixtures written here, or none at all.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <torch/nn/modules/linear.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tasks/imdb/imdb_fixture.h"
#include "tasks/testing/cli_runner.h"
#include "training/checkpoint.h"
#include "vision/idx.h"
#include "vision/idx_fixtures.h"

namespace sf::tasks {
namespace {

namespace fs = std::filesystem;
using testing::CleanFailureProblem;
using testing::CliResult;
using testing::NonEmptyLines;
using testing::RunCli;

constexpr double kTimeoutSeconds = 120;

struct Binary {
  std::string name;        // as users know it: //tasks:<name>
  std::string path;        // runfiles path
  std::string data_flag;   // the flag naming its data folder
  std::string out_flag;    // the flag naming its output folder
};

const std::vector<Binary>& Binaries() {
  static const auto* binaries = new std::vector<Binary>{
      {"imdb", "tasks/imdb/imdb", "--data_dir", "--out_dir"},
      {"wiki", "tasks/wiki/wiki", "--data_dir", "--out_dir"},
      {"cnn_inpainting", "tasks/inpainting/cnn_inpainting", "--data_dir", "--out_dir"},
      {"transformer_inpainting", "tasks/inpainting/transformer_inpainting", "--data_dir",
       "--out_dir"},
  };
  return *binaries;
}

std::string Scratch(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / "bad_input" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// An output folder holding a previous run's files, and a snapshot of their bytes.
struct PreviousRun {
  explicit PreviousRun(const std::string& dir) : dir(dir) {
    files = {{"best.sfckpt", RandomBytes(4096, 7)}, {"metrics.json", "{\"accuracy\": 0.9}\n"}};
    for (const auto& [name, bytes] : files) WriteFile(fs::path(dir) / name, bytes);
  }
  // Empty when every file is as it was, else which one changed.
  std::string Changed() const {
    for (const auto& [name, bytes] : files) {
      if (ReadFile(fs::path(dir) / name) != bytes) return name;
    }
    return "";
  }
  std::string dir;
  std::map<std::string, std::string> files;
};

// The log of every case's message, for the closing review.
void Record(const std::string& binary, const std::string& what, const CliResult& r) {
  const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  std::string last;
  for (const std::string& line : NonEmptyLines(r.stderr_text)) {
    if (absl::StartsWith(line, "error: ")) last = line;
  }
  const std::string entry = absl::StrCat(binary, " | ", what, " | exit ", r.exit_code, " | ",
                                         last.empty() ? r.stderr_text : last, "\n");
  std::printf("%s", entry.c_str());
  if (out != nullptr) {
    std::ofstream(fs::path(out) / "bad_input_messages.txt", std::ios::app) << entry;
  }
}

// Runs `binary` with `args` (its output folder set to a previous run's folder unless the
// case names its own) and checks the promise; `expect` must appear in the error line, and
// `forbidden`, when given, nowhere in the output.
void ExpectCleanError(const Binary& binary, const std::string& what,
                      std::vector<std::string> args, const std::string& expect,
                      const std::string& stdin_text = "", const std::string& forbidden = "") {
  SCOPED_TRACE(absl::StrCat("//tasks:", binary.name, " with ", what));
  const PreviousRun previous(Scratch(binary.name + "_out_" + std::to_string(std::hash<std::string>()(what))));
  bool has_out = false;
  for (const std::string& a : args) has_out |= absl::StartsWith(a, binary.out_flag + "=");
  if (!has_out) args.push_back(binary.out_flag + "=" + previous.dir);
  args.push_back("--threads=1");
  const CliResult r = RunCli(testing::BinaryPath(binary.path), args, kTimeoutSeconds,
                             {{"XDG_CACHE_HOME", Scratch("cache")}},
                             stdin_text);
  Record(binary.name, what, r);
  EXPECT_EQ(CleanFailureProblem(r), "") << "stderr:\n" << r.stderr_text;
  std::string error_line;
  for (const std::string& line : NonEmptyLines(r.stderr_text)) {
    if (absl::StartsWith(line, "error: ")) error_line = line;
  }
  EXPECT_TRUE(absl::StrContains(error_line, expect))
      << "expected the error to mention '" << expect << "', got: " << error_line;
  EXPECT_EQ(previous.Changed(), "") << "a previous run's file was modified";
  if (!forbidden.empty()) {
    EXPECT_FALSE(absl::StrContains(r.stderr_text + r.stdout_text, forbidden))
        << "'" << forbidden << "' came before the error:\n" << r.stderr_text;
  }
}

const Binary& Find(const std::string& name) {
  for (const Binary& b : Binaries()) {
    if (b.name == name) return b;
  }
  std::abort();
}

// ---- Cases common to every binary ---------------------------------------------------------

TEST(BadInputTest, MissingDataFolder) {
  const std::string missing = Scratch("missing") + "/no_such_folder";
  for (const Binary& b : Binaries()) {
    ExpectCleanError(b, "a missing data folder", {b.data_flag + "=" + missing}, missing);
  }
}

TEST(BadInputTest, EmptyDataFolder) {
  const std::string empty = Scratch("empty");
  for (const Binary& b : Binaries()) {
    ExpectCleanError(b, "an empty data folder", {b.data_flag + "=" + empty}, empty);
  }
}

TEST(BadInputTest, ZeroAndNegativeSizes) {
  for (const Binary& b : Binaries()) {
    ExpectCleanError(b, "--batch_size=0", {"--batch_size=0"}, "batch_size");
    ExpectCleanError(b, "--batch_size=-3", {"--batch_size=-3"}, "batch_size");
  }
  ExpectCleanError(Find("imdb"), "--d_model=-8", {"--d_model=-8"}, "d_model");
  ExpectCleanError(Find("wiki"), "--d_model=0", {"--d_model=0"}, "d_model");
  ExpectCleanError(Find("transformer_inpainting"), "--d_model=-1", {"--d_model=-1"}, "d_model");
  ExpectCleanError(Find("cnn_inpainting"), "--base_channels=0", {"--base_channels=0"},
                   "base_channels");
}

TEST(BadInputTest, ModelWidthNotDivisibleByHeads) {
  for (const char* name : {"imdb", "wiki", "transformer_inpainting"}) {
    ExpectCleanError(Find(name), "--d_model=100 --heads=3", {"--d_model=100", "--heads=3"},
                     "100");
  }
}

TEST(BadInputTest, UnknownFlagValue) {
  ExpectCleanError(Find("imdb"), "--backend=gpu_magic", {"--backend=gpu_magic"}, "gpu_magic");
  ExpectCleanError(Find("wiki"), "--corpus=novels", {"--corpus=novels"}, "novels");
  ExpectCleanError(Find("cnn_inpainting"), "--mask=triangle", {"--mask=triangle"}, "triangle");
}

// ---- Checkpoints ---------------------------------------------------------------------------

// A genuine checkpoint, of a model none of the tasks builds.
std::string ForeignCheckpoint() {
  const std::string path = Scratch("foreign") + "/other_model.sfckpt";
  torch::nn::Linear model(3, 2);
  training::CheckpointInfo info;
  info.config = {{"task", "another_model"}, {"d_model", 3}};
  const absl::Status s = training::SaveCheckpoint(path, {model.get()}, info);
  if (!s.ok()) std::abort();
  return path;
}

TEST(BadInputTest, CheckpointOfAnotherModel) {
  const std::string foreign = ForeignCheckpoint();
  ExpectCleanError(Find("imdb"), "a checkpoint of another model",
                   {"--checkpoint=" + foreign, "--predict=a fine film"}, foreign);
  ExpectCleanError(Find("wiki"), "a checkpoint of another model",
                   {"--checkpoint=" + foreign, "--prompt=the"}, foreign);
  const std::string png = Scratch("png") + "/in.png";
  const std::string png_bytes = ReadFile(fs::path(std::getenv("TEST_SRCDIR")) /
                                         std::getenv("TEST_WORKSPACE") /
                                         "vision/testdata/fuzz/png/gray_2x3.png");
  WriteFile(png, png_bytes);
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    ExpectCleanError(Find(name), "a checkpoint of another model",
                     {"--checkpoint=" + foreign, "--input=" + png,
                      "--output=" + Scratch("png_out") + "/out.png"},
                     foreign);
  }
}

TEST(BadInputTest, CorruptAndMissingCheckpoint) {
  const std::string dir = Scratch("corrupt");
  const std::string corrupt = dir + "/best.sfckpt";
  WriteFile(corrupt, RandomBytes(2000, 3));
  const std::string missing = dir + "/absent.sfckpt";
  for (const std::string& path : {corrupt, missing}) {
    const std::string what = path == corrupt ? "a checkpoint of random bytes" : "a missing checkpoint";
    ExpectCleanError(Find("imdb"), what, {"--checkpoint=" + path, "--predict=good"}, path);
    ExpectCleanError(Find("wiki"), what, {"--checkpoint=" + path, "--prompt=the"}, path);
  }
}

// ---- Text inputs -----------------------------------------------------------------------------

TEST(BadInputTest, InvalidUtf8Text) {
  const std::string aclimdb = imdb::WriteImdbFixture(Scratch("utf8_imdb") + "/aclImdb",
                                                     {.reviews_per_class = 6});
  const fs::path bad_review = fs::path(aclimdb) / "train" / "pos" / "999_9.txt";
  WriteFile(bad_review, "A great film \xC3\x28 with a broken byte \xFF.");
  ExpectCleanError(Find("imdb"), "a review that is not valid UTF-8",
                   {"--data_dir=" + aclimdb, "--epochs=1"}, bad_review.string());

  const fs::path wiki = Scratch("utf8_wiki");
  WriteFile(wiki / "wiki.train.tokens", " = Title = \n the cat sat on the mat \xFF\xFE . \n");
  WriteFile(wiki / "wiki.valid.tokens", " the cat . \n");
  ExpectCleanError(Find("wiki"), "a corpus that is not valid UTF-8",
                   {"--data_dir=" + wiki.string(), "--epochs=1"}, "wiki.train.tokens");
}

TEST(BadInputTest, RandomBytesAsData) {
  const fs::path wiki = Scratch("random_wiki");
  WriteFile(wiki / "wiki.train.tokens", RandomBytes(5000, 11));
  WriteFile(wiki / "wiki.valid.tokens", RandomBytes(500, 12));
  ExpectCleanError(Find("wiki"), "random bytes as the corpus",
                   {"--data_dir=" + wiki.string(), "--epochs=1"}, "wiki.train.tokens");

  const fs::path idx = Scratch("random_idx");
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    WriteFile(idx / name, RandomBytes(3000, 13));
  }
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    ExpectCleanError(Find(name), "random bytes as the IDX files", {"--data_dir=" + idx.string()},
                     idx.string());
  }
}

TEST(BadInputTest, TruncatedDataFile) {
  const fs::path idx = Scratch("truncated_idx");
  const std::string real = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!fs::exists(real)) GTEST_SKIP() << "needs the Debian package dataset-fashion-mnist";
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    const std::string bytes = ReadFile(fs::path("/usr/share/datasets/fashion-mnist") / name);
    WriteFile(idx / name, bytes.substr(0, bytes.size() / 2));
  }
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    ExpectCleanError(Find(name), "truncated IDX files", {"--data_dir=" + idx.string()},
                     idx.string());
  }
  const std::string aclimdb = imdb::WriteImdbFixture(Scratch("trunc_imdb") + "/aclImdb",
                                                     {.reviews_per_class = 6});
  const fs::path empty_review = fs::path(aclimdb) / "train" / "neg" / "998_2.txt";
  WriteFile(empty_review, "");
  ExpectCleanError(Find("imdb"), "an empty (truncated) review file",
                   {"--data_dir=" + aclimdb, "--epochs=1"}, empty_review.string());
}

// ---- Inpainting flags and inputs -------------------------------------------------------------

// An MNIST-format folder of `count` random side x side images per split.
std::string WriteIdxSet(const std::string& name, uint32_t side, uint32_t count) {
  const std::string dir = Scratch(name);
  std::mt19937_64 rng(5);
  for (const char* split : {"train", "t10k"}) {
    std::vector<uint8_t> pixels(size_t{count} * side * side);
    for (uint8_t& p : pixels) p = static_cast<uint8_t>(rng());
    vision::WritePlainFile(
        absl::StrCat(dir, "/", split, "-images-idx3-ubyte"),
        vision::IdxBytes(vision::kIdxImagesMagic, {count, side, side}, pixels));
    vision::WritePlainFile(absl::StrCat(dir, "/", split, "-labels-idx1-ubyte"),
                           vision::IdxBytes(vision::kIdxLabelsMagic, {count},
                                            std::vector<uint8_t>(count, 1)));
  }
  return dir;
}

// Flags that only the evaluation or the outputs read are checked before training starts: the
// error comes first, with no "trained ..." line before it.
TEST(BadInputTest, InpaintingFlagsAreCheckedBeforeTraining) {
  const std::string data = "--data_dir=" + WriteIdxSet("idx28", 28, 40);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--grid_scale=0", "--grid_scale"},
      {"--grid_rows=-1", "--grid_rows"},
      {"--eval_limit=-5", "--eval_limit"},
      {"--eval_batch_size=0", "--eval_batch_size"},
      {"--batch_size=4611686018427387904", "--batch_size"},
  };
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    for (const auto& [flag, expect] : cases) {
      ExpectCleanError(Find(name), flag, {data, flag, "--steps=2", "--warmup_steps=0"}, expect,
                       /*stdin_text=*/"", /*forbidden=*/"trained ");
    }
  }
  ExpectCleanError(Find("cnn_inpainting"), "--hole_weight=-1",
                   {data, "--hole_weight=-1", "--steps=2", "--warmup_steps=0"}, "hole_weight",
                   "", "trained ");
  ExpectCleanError(Find("cnn_inpainting"), "--hole_weight=0 --whole_weight=0",
                   {data, "--hole_weight=0", "--whole_weight=0", "--steps=2", "--warmup_steps=0"},
                   "whole_weight", "", "trained ");
}

TEST(BadInputTest, InpaintingDataTooSmallOrNotAFolder) {
  const std::string tiny = WriteIdxSet("idx8", 8, 20);
  const std::string file = Scratch("data_file") + "/passwd";
  WriteFile(file, "root:x:0:0\n");
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    ExpectCleanError(Find(name), "8x8 images", {"--data_dir=" + tiny, "--steps=2"}, "8x8", "",
                     "trained ");
    ExpectCleanError(Find(name), "a file as --data_dir", {"--data_dir=" + file},
                     file + " is a file");
  }
}

// A model saved by a one-update training run of `binary` on random 28 x 28 images, and the
// --data_dir flag of those images (the Transformer's nearest-neighbour prior searches them).
struct Tiny {
  std::string model;
  std::string data_flag;
};

Tiny TinyModel(const Binary& binary) {
  const std::string out = Scratch(binary.name + "_tiny_model");
  const std::string data_flag = "--data_dir=" + WriteIdxSet(binary.name + "_tiny_idx", 28, 40);
  const CliResult r = RunCli(testing::BinaryPath(binary.path),
                             {data_flag, "--out_dir=" + out, "--steps=1", "--warmup_steps=0",
                              "--batch_size=4", "--threads=1"},
                             kTimeoutSeconds, {{"XDG_CACHE_HOME", Scratch("cache")}});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  return {out + "/model.sfckpt", data_flag};
}

TEST(BadInputTest, InpaintingInputIsAFolderOrOutputEmpty) {
  const std::string folder = Scratch("input_folder") + "/shirt.png";
  fs::create_directories(folder);
  const std::string png = Scratch("png_ok") + "/in.png";
  WriteFile(png, ReadFile(fs::path(std::getenv("TEST_SRCDIR")) / std::getenv("TEST_WORKSPACE") /
                          "vision/testdata/fuzz/png/gray_2x3.png"));
  for (const char* name : {"cnn_inpainting", "transformer_inpainting"}) {
    const Tiny tiny = TinyModel(Find(name));
    ExpectCleanError(Find(name), "a folder as --input",
                     {"--checkpoint=" + tiny.model, tiny.data_flag, "--input=" + folder,
                      "--output=" + Scratch("folder_out") + "/out.png"},
                     folder + " is a directory");
    ExpectCleanError(Find(name), "--output= (empty)",
                     {"--checkpoint=" + tiny.model, tiny.data_flag, "--input=" + png,
                      "--output="},
                     "--output");
  }
}

// The Transformer's nearest-neighbour prior searches the images it was trained on: --input and
// --checkpoint with other training images are refused, naming both.
TEST(BadInputTest, TransformerPriorNeedsItsTrainingImages) {
  const std::string png = Scratch("png_prior") + "/in.png";
  WriteFile(png, ReadFile(fs::path(std::getenv("TEST_SRCDIR")) / std::getenv("TEST_WORKSPACE") /
                          "vision/testdata/fuzz/png/gray_2x3.png"));
  const Tiny tiny = TinyModel(Find("transformer_inpainting"));
  const std::string other = WriteIdxSet("prior_other_idx", 28, 41);
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{"--input=" + png, "--output=" + Scratch("prior_out") + "/o.png"},
        std::vector<std::string>{"--out_dir=" + Scratch("prior_eval")}}) {
    std::vector<std::string> args = {"--checkpoint=" + tiny.model, "--data_dir=" + other};
    args.insert(args.end(), mode.begin(), mode.end());
    ExpectCleanError(Find("transformer_inpainting"), "--checkpoint with other training images",
                     args, "--data_dir=" + other);
  }
  ExpectCleanError(Find("transformer_inpainting"), "--neighbours above the training set",
                   {"--data_dir=" + other, "--neighbours=41", "--steps=1"}, "k must be in [1, 40]",
                   "", "trained ");
  ExpectCleanError(Find("transformer_inpainting"), "--neighbours=-1",
                   {"--data_dir=" + other, "--neighbours=-1", "--steps=1"}, "neighbours", "",
                   "trained ");
}

// ---- Language-model and classifier flags ----------------------------------------------------

// Flags the samples after training read are checked before the training.
TEST(BadInputTest, WikiSampleFlagsAreCheckedBeforeTraining) {
  const fs::path text = fs::path(Scratch("wiki_text")) / "input.txt";
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "the cat sat on the mat and the dog sat on the log.\n";
  WriteFile(text, lines);
  const std::vector<std::string> base = {"--corpus=text", "--text_file=" + text.string(),
                                         "--context=8",   "--d_model=16",
                                         "--heads=2",     "--layers=1",
                                         "--d_ff=32",     "--batch_size=8",
                                         "--epochs=1",    "--warmup_steps=0"};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--samples=-1", "--samples"},          {"--temperature=0", "temperature"},
      {"--top_p=1.5", "top-p"},               {"--top_k=-1", "top-k"},
      {"--max_new_tokens=-1", "maximum length"}, {"--epochs=nan", "--epochs"},
      {"--epochs=1e30", "--epochs=1e+30"},
  };
  for (const auto& [flag, expect] : cases) {
    std::vector<std::string> args = base;
    args.push_back(flag);
    ExpectCleanError(Find("wiki"), flag, args, expect, "", "trained ");
  }
  // At word level, a prompt of spaces holds no token.
  const fs::path words = Scratch("wiki_words");
  WriteFile(words / "wiki.train.tokens", lines);
  WriteFile(words / "wiki.valid.tokens", " the cat sat on the mat . \n");
  ExpectCleanError(Find("wiki"), "--prompt=   (word level)",
                   {"--data_dir=" + words.string(), "--context=4", "--d_model=16", "--heads=2",
                    "--layers=1", "--d_ff=32", "--epochs=1", "--warmup_steps=0", "--prompt=   "},
                   "--prompt", "", "trained ");
}

TEST(BadInputTest, CheckpointOfAnotherTask) {
  // A checkpoint with a 'model' entry of another kind, as //tasks:imdb writes.
  const std::string path = Scratch("other_task") + "/classifier.sfckpt";
  torch::nn::Linear model(3, 2);
  training::CheckpointInfo info;
  info.config = {{"model", {{"d_model", 3}, {"pooling", "mean"}}}};
  ASSERT_TRUE(training::SaveCheckpoint(path, {model.get()}, info).ok());
  ExpectCleanError(Find("wiki"), "a checkpoint of another task",
                   {"--checkpoint=" + path, "--prompt=the"},
                   "is not a language-model checkpoint");
}

TEST(BadInputTest, EmptyPredictText) {
  // "--predict=" is a request to classify nothing, not to train.
  ExpectCleanError(Find("imdb"), "--predict= (empty)",
                   {"--predict=", "--checkpoint=" + ForeignCheckpoint()}, "--predict is empty",
                   "", "fetching");
}

// ---- Output folder -------------------------------------------------------------------------

TEST(BadInputTest, UnwritableOutputFolder) {
  // A regular file where the output folder should be: nothing can be created inside it, even
  // as root (for whom permission bits are no obstacle).
  const std::string blocker = Scratch("unwritable") + "/not_a_folder";
  WriteFile(blocker, "a file, not a folder\n");
  const std::string out = blocker + "/run";
  const std::string aclimdb = imdb::WriteImdbFixture(Scratch("out_imdb") + "/aclImdb",
                                                     {.reviews_per_class = 6});
  ExpectCleanError(Find("imdb"), "an output folder that cannot be created",
                   {"--data_dir=" + aclimdb, "--out_dir=" + out}, blocker);
  const fs::path wiki = Scratch("out_wiki");
  WriteFile(wiki / "wiki.train.tokens", " the cat sat on the mat . \n the dog sat . \n");
  WriteFile(wiki / "wiki.valid.tokens", " the cat sat . \n");
  ExpectCleanError(Find("wiki"), "an output folder that cannot be created",
                   {"--data_dir=" + wiki.string(), "--out_dir=" + out, "--context=4",
                    "--warmup_steps=0", "--epochs=1"},
                   blocker);
  ExpectCleanError(Find("cnn_inpainting"), "an output folder that cannot be created",
                   {"--out_dir=" + out}, blocker);
  ExpectCleanError(Find("transformer_inpainting"), "an output folder that cannot be created",
                   {"--out_dir=" + out}, blocker);
  EXPECT_EQ(ReadFile(blocker), "a file, not a folder\n");
}

}  // namespace
}  // namespace sf::tasks
