#include "tasks/wiki/lm_corpus.h"

#include <algorithm>
#include <utility>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "datasets/text_corpus.h"
#include "tokenization/bpe_trainer.h"
#include "tokenization/char_tokenizer.h"
#include "tokenization/normalizer.h"
#include "tokenization/pre_tokenizer.h"
#include "tokenization/vocabulary.h"
#include "tools/download/datasets.h"

namespace sf::tasks::wiki {
namespace {

using tokenization::SpecialToken;
using tokenization::TokenId;

at::Tensor ToTensor(const std::vector<TokenId>& ids) {
  at::Tensor out = at::empty({static_cast<int64_t>(ids.size())}, at::kLong);
  int64_t* data = out.data_ptr<int64_t>();
  for (size_t i = 0; i < ids.size(); ++i) data[i] = ids[i];
  return out;
}

// The lines of `text`, each with its newline (the last one has none when the text does not
// end with one): concatenated, they spell the text.
std::vector<std::string> LinesWithNewlines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// The data set folder: --data_dir when given, else the download cache. A failure without
// --data_dir (typically: offline) becomes one line naming what to fetch and the flag.
absl::StatusOr<std::string> DataSetFolder(const CorpusOptions& options,
                                          const download::DatasetSpec& spec,
                                          const std::vector<std::string>& expected) {
  absl::StatusOr<std::string> dir =
      download::ResolveDataDir(options.data_dir, spec, expected, options.cache);
  if (dir.ok() || !options.data_dir.empty()) return dir;
  const std::string first_line(
      std::string(dir.status().message()).substr(0, dir.status().message().find('\n')));
  return absl::Status(
      dir.status().code(),
      absl::StrCat(spec.description, " is not available (", first_line, "); fetch it with "
                   "`bazel run //tools/download:fetch_data -- --dataset=", spec.name,
                   "` or pass --data_dir=<folder with ", absl::StrJoin(expected, ", "), ">"));
}

absl::StatusOr<LmCorpus> LoadWikiTextWords(const std::string& dir) {
  LmCorpus corpus;
  std::vector<std::string> train_words;
  for (const char* split : {"train", "valid", "test"}) {
    absl::StatusOr<std::string> path =
        datasets::WikiTextFile(dir, datasets::WikiTextVariant::kTokens, split);
    if (!path.ok()) {
      if (std::string(split) == "test") continue;
      return path.status();
    }
    absl::StatusOr<std::vector<std::string>> words = datasets::ReadWordsWithEos(*path);
    if (!words.ok()) return words.status();
    if (std::string(split) == "train") {
      absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> tokenizer =
          WikiTextWordTokenizer(*words);
      if (!tokenizer.ok()) return tokenizer.status();
      corpus.tokenizer = std::move(*tokenizer);
      corpus.train = EncodeWords(corpus.tokenizer->vocabulary(), *words);
    } else {
      at::Tensor ids = EncodeWords(corpus.tokenizer->vocabulary(), *words);
      (std::string(split) == "valid" ? corpus.valid : corpus.test) = ids;
    }
  }
  corpus.description = absl::StrCat("WikiText-2 (word level) from ", dir);
  return corpus;
}

absl::StatusOr<LmCorpus> LoadWikiTextRaw(const std::string& dir, const CorpusOptions& options) {
  LmCorpus corpus;
  for (const char* split : {"train", "valid", "test"}) {
    absl::StatusOr<std::string> path =
        datasets::WikiTextFile(dir, datasets::WikiTextVariant::kRaw, split);
    if (!path.ok()) {
      if (std::string(split) == "test") continue;
      return path.status();
    }
    absl::StatusOr<std::string> text = datasets::ReadTextFile(*path);
    if (!text.ok()) return text.status();
    if (std::string(split) == "train") {
      // The merges are learnt from the lines as EncodeText encodes them, newlines included.
      absl::StatusOr<std::unique_ptr<tokenization::BpeTokenizer>> bpe = tokenization::TrainBpe(
          LinesWithNewlines(*text), tokenization::BpeTrainerOptions()
                     .VocabSize(options.bpe_vocab_size)
                     .Specials({SpecialToken::kUnk, SpecialToken::kEos})
                     .Threads(options.threads));
      if (!bpe.ok()) return bpe.status();
      corpus.tokenizer = std::move(*bpe);
    }
    absl::StatusOr<at::Tensor> ids = EncodeText(*corpus.tokenizer, *text, options.threads);
    if (!ids.ok()) return absl::Status(ids.status().code(),
                                       absl::StrCat(*path, ": ", ids.status().message()));
    const std::string name(split);
    (name == "train" ? corpus.train : name == "valid" ? corpus.valid : corpus.test) = *ids;
  }
  corpus.description = absl::StrCat("WikiText-2 raw (BPE, ", corpus.tokenizer->vocab_size(),
                                    " tokens) from ", dir);
  return corpus;
}

absl::StatusOr<LmCorpus> LoadPlainText(const std::string& path, const CorpusOptions& options) {
  if (!(options.valid_fraction > 0.0 && options.valid_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the validation fraction must be in (0, 1), got ", options.valid_fraction));
  }
  absl::StatusOr<std::string> text = datasets::ReadTextFile(path);
  if (!text.ok()) return text.status();
  LmCorpus corpus;
  absl::StatusOr<std::unique_ptr<tokenization::CharTokenizer>> chars =
      tokenization::CharTokenizer::Train(
          {*text}, tokenization::CharTokenizerOptions(),
          tokenization::VocabularyOptions().Specials({SpecialToken::kUnk, SpecialToken::kEos}),
          options.threads);
  if (!chars.ok()) return absl::Status(chars.status().code(),
                                       absl::StrCat(path, ": ", chars.status().message()));
  corpus.tokenizer = std::move(*chars);
  absl::StatusOr<at::Tensor> ids = EncodeText(*corpus.tokenizer, *text, options.threads);
  if (!ids.ok()) return absl::Status(ids.status().code(),
                                     absl::StrCat(path, ": ", ids.status().message()));
  const int64_t n = ids->size(0);
  const int64_t n_valid = static_cast<int64_t>(n * options.valid_fraction);
  if (n_valid < 2 || n - n_valid < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", n, " characters are too few to split into train and valid"));
  }
  corpus.train = ids->slice(0, 0, n - n_valid);
  corpus.valid = ids->slice(0, n - n_valid, n);
  corpus.description = absl::StrCat(path, " (character level, ", corpus.tokenizer->vocab_size(),
                                    " symbols; last ", n_valid, " characters for validation)");
  return corpus;
}

}  // namespace

absl::StatusOr<CorpusKind> ParseCorpusKind(const std::string& name) {
  if (name == "wikitext2") return CorpusKind::kWikiText2;
  if (name == "wikitext2_raw") return CorpusKind::kWikiText2Raw;
  if (name == "text") return CorpusKind::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown corpus '", name, "'; expected wikitext2, wikitext2_raw or text"));
}

std::string CorpusKindName(CorpusKind kind) {
  switch (kind) {
    case CorpusKind::kWikiText2:
      return "wikitext2";
    case CorpusKind::kWikiText2Raw:
      return "wikitext2_raw";
    case CorpusKind::kText:
      return "text";
  }
  return "unknown";
}

absl::StatusOr<LmCorpus> LoadCorpus(const CorpusOptions& options) {
  switch (options.kind) {
    case CorpusKind::kWikiText2: {
      absl::StatusOr<std::string> dir = DataSetFolder(
          options, download::WikiText2Spec(), {"wiki.train.tokens", "wiki.valid.tokens"});
      if (!dir.ok()) return dir.status();
      return LoadWikiTextWords(*dir);
    }
    case CorpusKind::kWikiText2Raw: {
      absl::StatusOr<std::string> dir = DataSetFolder(options, download::WikiText2RawSpec(),
                                                      {"wiki.train.raw", "wiki.valid.raw"});
      if (!dir.ok()) return dir.status();
      return LoadWikiTextRaw(*dir, options);
    }
    case CorpusKind::kText: {
      if (!options.text_file.empty()) return LoadPlainText(options.text_file, options);
      absl::StatusOr<std::string> dir =
          DataSetFolder(options, download::TinyShakespeareSpec(), {"input.txt"});
      if (!dir.ok()) return dir.status();
      return LoadPlainText(*dir + "/input.txt", options);
    }
  }
  return absl::InvalidArgumentError("unknown corpus kind");
}

absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> WikiTextWordTokenizer(
    const std::vector<std::string>& train_words) {
  if (train_words.empty()) {
    return absl::InvalidArgumentError("the training text has no words");
  }
  const std::string unk = tokenization::DefaultSpecialText(SpecialToken::kUnk);
  const std::string eos = tokenization::DefaultSpecialText(SpecialToken::kEos);
  tokenization::TokenCounter counter;
  for (const std::string& word : train_words) {
    if (word != unk && word != eos) counter.Add(word);
  }
  absl::StatusOr<tokenization::Vocabulary> vocab = tokenization::Vocabulary::Build(
      counter, tokenization::VocabularyOptions().Specials({SpecialToken::kUnk, SpecialToken::kEos}));
  if (!vocab.ok()) return vocab.status();
  return tokenization::WordTokenizer::Create(
      std::move(*vocab),
      tokenization::WordTokenizerOptions()
          .WithNormalizer(tokenization::NormalizerOptions())
          .WithPreTokenizer(tokenization::PreTokenizerKind::kWhitespace));
}

at::Tensor EncodeWords(const tokenization::Vocabulary& vocab,
                       const std::vector<std::string>& words) {
  const TokenId unk = *vocab.special_id(SpecialToken::kUnk);
  at::Tensor out = at::empty({static_cast<int64_t>(words.size())}, at::kLong);
  int64_t* data = out.data_ptr<int64_t>();
  for (size_t i = 0; i < words.size(); ++i) data[i] = vocab.Find(words[i]).value_or(unk);
  return out;
}

absl::StatusOr<at::Tensor> EncodeText(const tokenization::Tokenizer& tokenizer,
                                      const std::string& text, int threads) {
  // Each line keeps its newline, so the concatenated ids spell the text exactly.
  absl::StatusOr<std::vector<std::vector<TokenId>>> encoded = tokenizer.EncodeBatch(
      LinesWithNewlines(text), tokenization::EncodeOptions(), threads);
  if (!encoded.ok()) return encoded.status();
  std::vector<TokenId> ids;
  for (const std::vector<TokenId>& line : *encoded) ids.insert(ids.end(), line.begin(), line.end());
  if (ids.empty()) return absl::InvalidArgumentError("the text encodes to no tokens");
  return ToTensor(ids);
}

std::string DecodeForDisplay(const tokenization::Tokenizer& tokenizer,
                             const std::vector<TokenId>& ids) {
  absl::StatusOr<std::string> text = tokenizer.Decode(ids);
  if (!text.ok()) return absl::StrCat("<", text.status().message(), ">");
  if (tokenizer.type() != "word") return *text;
  const std::string eos = tokenization::DefaultSpecialText(SpecialToken::kEos);
  return absl::StrReplaceAll(*text, {{" " + eos + " ", "\n"}, {" " + eos, "\n"},
                                     {eos + " ", "\n"}});
}

}  // namespace sf::tasks::wiki
