// Tokenizer throughput on WikiText-2 (raw): word-level, character-level and byte-level BPE
// (vocabulary 16k, trained on the same file) encoding in MB/s on one thread and on all threads,
// plus the BPE training time. Ratios compare runs made in this same process.
//
//   bazel run //benchmarks:tokenizer_benchmark                           # finds ../shared/data
//   bazel-bin/benchmarks/tokenizer_benchmark --data=../shared/data/wikitext-2-raw/wiki.train.raw
//
// Flags: --data (default: <workspace>/../shared/data/wikitext-2-raw/wiki.train.raw, or
// $SF_SHARED_DATA/wikitext-2-raw/...), --threads (all cores), --bpe_vocab_size, --repeats.
// Without the default data file it prints why and exits 0; a --data that is not a non-empty
// regular file is an error naming it.
// Each figure is the best of --repeats runs (the machine may be shared; the best run is the
// least disturbed one). The first rows time a trivially parallel loop: how much of a second
// core the machine actually offered during the run, to read the thread ratios against.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "runtime/environment.h"
#include "runtime/paths.h"
#include "runtime/test_data.h"
#include "tokenization/bpe_trainer.h"
#include "tokenization/char_tokenizer.h"
#include "tokenization/parallel.h"
#include "tokenization/pre_tokenizer.h"
#include "tokenization/word_tokenizer.h"

ABSL_FLAG(std::string, data, "",
          "WikiText-2 raw training file (default: the shared data beside the workspace).");
ABSL_FLAG(int64_t, bpe_vocab_size, 16000, "Vocabulary size of the BPE model trained.");
ABSL_FLAG(int, repeats, 3, "Runs per figure; the best is reported.");

namespace {

using sf::tokenization::BpeTokenizer;
using sf::tokenization::TokenId;
using sf::tokenization::Tokenizer;

double Seconds(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Best(int repeats, const std::function<void()>& fn) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) best = std::min(best, Seconds(fn));
  return best;
}

class Table {
 public:
  explicit Table(double megabytes) : megabytes_(megabytes) {
    std::printf("%-44s %7s %9s %12s %9s\n", "encode", "threads", "MB/s", "MB/s/thread", "ratio");
  }
  // `baseline_seconds` <= 0: no ratio column.
  void Row(const std::string& name, int threads, double seconds, double baseline_seconds,
           const std::string& ratio_label) {
    const double mbps = megabytes_ / seconds;
    std::printf("%-44s %7d %9.1f %12.1f", name.c_str(), threads, mbps, mbps / threads);
    if (baseline_seconds > 0) {
      std::printf(" %8.2fx %s", baseline_seconds / seconds, ratio_label.c_str());
    }
    std::printf("\n");
  }

 private:
  double megabytes_;
};

void Encode(const Tokenizer& tok, const std::vector<std::string>& lines, int threads) {
  absl::StatusOr<std::vector<std::vector<TokenId>>> ids = tok.EncodeBatch(lines, {}, threads);
  if (!ids.ok()) {
    std::cerr << ids.status() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = sf::runtime::RuntimeOptionsFromFlags().threads;
  const int repeats = std::max(1, absl::GetFlag(FLAGS_repeats));
  std::string path = sf::runtime::ResolveUserPath(absl::GetFlag(FLAGS_data));
  if (path.empty()) {
    std::optional<std::string> dir = sf::runtime::SharedDataDir("wikitext-2-raw");
    if (!dir) {
      std::printf("tokenizer_benchmark skipped: %s; or pass --data=<wiki.train.raw>\n",
                  sf::runtime::SharedDataSkipReason("wikitext-2-raw").c_str());
      return 0;
    }
    path = *dir + "/wiki.train.raw";
  }
  // Throughput of nothing is no figure: a directory or an empty file is refused before timing.
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    std::fprintf(stderr, "error: cannot open --data=%s: %s\n", path.c_str(),
                 ec ? ec.message().c_str() : "no such file");
    return 1;
  }
  if (!std::filesystem::is_regular_file(status)) {
    std::fprintf(stderr, "error: --data=%s is %s, not a text file\n", path.c_str(),
                 std::filesystem::is_directory(status) ? "a directory" : "not a regular file");
    return 1;
  }
  if (std::filesystem::file_size(path, ec) == 0 && !ec) {
    std::fprintf(stderr, "error: --data=%s is empty\n", path.c_str());
    return 1;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: cannot open --data=%s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.empty()) {
    std::fprintf(stderr, "error: read nothing from --data=%s\n", path.c_str());
    return 1;
  }
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i + 1 < lines.size(); ++i) lines[i] += '\n';
  const double mb = static_cast<double>(text.size()) / 1e6;
  std::printf("data: %s (%.2f MB, %zu lines); threads: 1 and %d; best of %d runs\n", path.c_str(),
              mb, lines.size(), threads, repeats);

  // Word level: lower-case, HTML stripped, whitespace folded, "words" split; 32k vocabulary.
  std::unique_ptr<sf::tokenization::WordTokenizer> word;
  const double word_train = Seconds([&] {
    word = *sf::tokenization::WordTokenizer::Train(
        lines, sf::tokenization::WordTokenizerOptions(),
        sf::tokenization::VocabularyOptions().MaxSize(32000), threads);
  });
  std::unique_ptr<sf::tokenization::CharTokenizer> chars =
      *sf::tokenization::CharTokenizer::Train(lines, sf::tokenization::CharTokenizerOptions(),
                                              sf::tokenization::VocabularyOptions(), threads);

  sf::tokenization::BpeTrainingStats stats;
  std::unique_ptr<BpeTokenizer> bpe;
  const double bpe_train = Seconds([&] {
    bpe = *sf::tokenization::TrainBpe(lines,
                                      sf::tokenization::BpeTrainerOptions()
                                          .VocabSize(absl::GetFlag(FLAGS_bpe_vocab_size))
                                          .Threads(threads),
                                      &stats);
  });
  std::unique_ptr<BpeTokenizer> bpe_uncached = *BpeTokenizer::Create(
      bpe->vocabulary(), bpe->merges(), sf::tokenization::BpeOptions().CacheCapacity(0));

  std::printf("word-level training: %.2f s (vocabulary %lld)\n", word_train,
              static_cast<long long>(word->vocab_size()));
  std::printf(
      "BPE training: %.2f s = counting %.2f s (%d threads, %lld words, %lld distinct) + "
      "%lld merges %.2f s; vocabulary %lld\n",
      bpe_train, stats.count_seconds, threads, static_cast<long long>(stats.total_words),
      static_cast<long long>(stats.distinct_words), static_cast<long long>(stats.merges),
      stats.merge_seconds, static_cast<long long>(bpe->vocab_size()));

  Table table(mb);
  // How much parallelism the machine offers right now (it may be shared): a trivially
  // parallel byte loop over the same text, whose ideal ratio is the thread count.
  std::atomic<uint64_t> checksum{0};
  const auto scan = [&](int t) {
    const int64_t chunks = 1024, chunk = (static_cast<int64_t>(text.size()) + chunks - 1) / chunks;
    sf::tokenization::ParallelFor(chunks, t, [&](int64_t begin, int64_t end) {
      uint64_t h = 0;
      for (int64_t i = begin * chunk; i < std::min<int64_t>(end * chunk, text.size()); ++i) {
        h = h * 31 + static_cast<unsigned char>(text[i]);
      }
      checksum += h;
    });
  };
  const double scan_1 = Best(repeats, [&] { scan(1); });
  const double scan_n = Best(repeats, [&] { scan(threads); });
  table.Row("calibration: byte checksum loop", 1, scan_1, 0, "");
  table.Row("calibration: byte checksum loop", threads, scan_n, scan_1, "vs 1 thread");

  // Pre-tokenisation alone: the ASCII fast path against re2 on every piece.
  const sf::tokenization::PreTokenizer fast(sf::tokenization::PreTokenizerKind::kWords, true);
  const sf::tokenization::PreTokenizer slow(sf::tokenization::PreTokenizerKind::kWords, false);
  size_t sink = 0;
  const auto split_all = [&](const sf::tokenization::PreTokenizer& pre) {
    for (const std::string& line : lines)
      pre.Split(line, [&](absl::string_view p) { sink += p.size(); });
  };
  const double split_slow = Best(repeats, [&] { split_all(slow); });
  const double split_fast = Best(repeats, [&] { split_all(fast); });
  table.Row("words split, re2 on every piece", 1, split_slow, 0, "");
  table.Row("words split, ASCII fast path", 1, split_fast, split_slow, "vs re2 only");

  const double word_1 = Best(repeats, [&] { Encode(*word, lines, 1); });
  const double word_n = Best(repeats, [&] { Encode(*word, lines, threads); });
  table.Row("word-level (normalise + split + lookup)", 1, word_1, 0, "");
  table.Row("word-level", threads, word_n, word_1, "vs 1 thread");

  const double char_1 = Best(repeats, [&] { Encode(*chars, lines, 1); });
  const double char_n = Best(repeats, [&] { Encode(*chars, lines, threads); });
  table.Row("char-level", 1, char_1, 0, "");
  table.Row("char-level", threads, char_n, char_1, "vs 1 thread");

  const double bpe_nocache = Best(repeats, [&] { Encode(*bpe_uncached, lines, 1); });
  bpe->ClearCache();
  const double bpe_cold = Seconds([&] { Encode(*bpe, lines, 1); });
  const double bpe_1 = Best(repeats, [&] { Encode(*bpe, lines, 1); });
  const double bpe_n = Best(repeats, [&] { Encode(*bpe, lines, threads); });
  const std::string bpe_name =
      absl::StrFormat("BPE %lld", static_cast<long long>(bpe->vocab_size()));
  table.Row(bpe_name + ", no cache", 1, bpe_nocache, 0, "");
  table.Row(bpe_name + ", cache cold (first pass)", 1, bpe_cold, bpe_nocache, "vs no cache");
  table.Row(bpe_name + ", cache warm", 1, bpe_1, bpe_nocache, "vs no cache");
  table.Row(bpe_name + ", cache warm", threads, bpe_n, bpe_1, "vs 1 thread");

  // Sanity: the BPE model reproduces the file and compresses it.
  absl::StatusOr<std::vector<std::vector<TokenId>>> ids = bpe->EncodeBatch(lines, {}, threads);
  size_t tokens = 0;
  std::string decoded;
  decoded.reserve(text.size());
  for (const std::vector<TokenId>& line : *ids) {
    tokens += line.size();
    decoded += *bpe->Decode(line);
  }
  std::printf("BPE: %zu tokens, %.2f bytes/token, decode(encode(file)) == file: %s\n", tokens,
              static_cast<double>(text.size()) / tokens, decoded == text ? "yes" : "NO");
  return (decoded == text && sink > 0 && checksum != 0) ? 0 : 1;
}
