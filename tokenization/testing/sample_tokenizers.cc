#include "tokenization/testing/sample_tokenizers.h"

#include <cstdio>
#include <cstdlib>

#include "tokenization/bpe_trainer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization::testing {
namespace {

template <typename T>
std::unique_ptr<T> OrDie(absl::StatusOr<std::unique_ptr<T>> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "sample %s tokenizer: %s\n", what, result.status().ToString().c_str());
    std::abort();
  }
  return *std::move(result);
}

SampleTokenizers Train() {
  SampleTokenizers t;
  t.word = OrDie(WordTokenizer::Train(SampleTexts(), WordTokenizerOptions(),
                                      VocabularyOptions().MinFreq(1)),
                 "word");
  t.chars = OrDie(CharTokenizer::Train(SampleTexts(), CharTokenizerOptions(),
                                       VocabularyOptions().MinFreq(1)),
                  "char");
  t.bpe = OrDie(TrainBpe(SampleTexts(), BpeTrainerOptions().VocabSize(400)), "BPE");
  return t;
}

}  // namespace

const std::vector<std::string>& SampleTexts() {
  static const std::vector<std::string>* texts = new std::vector<std::string>{
      "This movie was great! I loved it.<br /><br />10/10 would watch again.",
      "The worst film of 2009: a waste of $12 and 95 minutes... don't bother.",
      " = Valkyria Chronicles III = \n Senjō no Valkyria 3 : <unk> Chronicles",
      "Crème brûlée, naïve café; Ελληνικά κείμενα; 日本語のテキスト; 中文文本.",
      "Emoji 🎬🍿 and symbols © ® ™ — “quotes” ‘single’ … ½ ¼",
      "tabs\tand\nnewlines\r\nand   many    spaces; UPPER lower MiXeD",
  };
  return *texts;
}

const SampleTokenizers& GetSampleTokenizers() {
  static const SampleTokenizers* tokenizers = new SampleTokenizers(Train());
  return *tokenizers;
}

}  // namespace sf::tokenization::testing
