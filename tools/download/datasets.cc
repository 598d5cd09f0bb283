#include "tools/download/datasets.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sf::download {
namespace {

// Hashes of extracted files come from the verified copies in ../shared/data (listed in its
// README); datasets_test checks them against those copies whenever they are present.

DatasetSpec MakeImdb() {
  DatasetSpec spec;
  spec.name = "imdb";
  spec.description = "IMDB Large Movie Review Dataset v1.0, 50,000 labelled reviews";
  spec.urls = {"https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"};
  // The commonly published SHA-256 of aclImdb_v1.tar.gz (84,125,825 bytes), as used by
  // scikit-learn-style fetchers, TensorFlow Datasets and Julia's CorpusLoaders. It could not be
  // recomputed here (no network); the two files below are verified independently of it.
  spec.archive_sha256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe";
  spec.subdir = "aclImdb";
  spec.files = {
      {"imdb.vocab", "01a13a306bd9e5a7826b8a0fc25a7a6017f143d86c1582f17857bb731fd252dc"},
      {"README", "a69bd3b91235c7fa1d6aadab51e257b7fa3f7b68f32b607483a72bd67f95e557"},
  };
  spec.dirs = {"train/pos", "train/neg", "test/pos", "test/neg"};
  return spec;
}

// The original S3 bucket of the WikiText release is the official URL; wikitext.smerity.com is
// the author's own mirror of the same zips. No archive hash: a mirror may re-pack the zip, and
// the extracted files are what the tasks read. The test split's hashes are not known here
// (../shared/data has no test split), so wiki.test.* is checked for existence only.

DatasetSpec MakeWikiText2() {
  DatasetSpec spec;
  spec.name = "wikitext-2";
  spec.description = "WikiText-2 v1, tokenised with <unk> (Merity et al. 2016, CC BY-SA 3.0)";
  spec.urls = {"https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
               "https://wikitext.smerity.com/wikitext-2-v1.zip"};
  spec.subdir = "wikitext-2";
  spec.files = {
      {"wiki.train.tokens", "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f"},
      {"wiki.valid.tokens", "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8"},
      {"wiki.test.tokens", ""},
  };
  return spec;
}

DatasetSpec MakeWikiText2Raw() {
  DatasetSpec spec;
  spec.name = "wikitext-2-raw";
  spec.description = "WikiText-2 raw v1, untokenised (Merity et al. 2016, CC BY-SA 3.0)";
  spec.urls = {"https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-raw-v1.zip",
               "https://wikitext.smerity.com/wikitext-2-raw-v1.zip"};
  spec.subdir = "wikitext-2-raw";
  spec.files = {
      {"wiki.train.raw", "6707892fa3788b5ab9ed78ab5ff37d9fe825f6011a2ad4fcd6a6d467f0e7da57"},
      {"wiki.valid.raw", "4cd0f6876d07a413aa911261ff6d363c72d757d47f0fdd6015702014c89cb9c7"},
      {"wiki.test.raw", ""},
  };
  return spec;
}

DatasetSpec MakeTinyShakespeare() {
  DatasetSpec spec;
  spec.name = "tinyshakespeare";
  spec.description = "tiny-shakespeare, 1,115,394 characters of Shakespeare (char-rnn)";
  spec.urls = {
      "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"};
  spec.files = {
      {"input.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}};
  return spec;
}

}  // namespace

const DatasetSpec& ImdbSpec() {
  static const DatasetSpec* spec = new DatasetSpec(MakeImdb());
  return *spec;
}

const DatasetSpec& WikiText2Spec() {
  static const DatasetSpec* spec = new DatasetSpec(MakeWikiText2());
  return *spec;
}

const DatasetSpec& WikiText2RawSpec() {
  static const DatasetSpec* spec = new DatasetSpec(MakeWikiText2Raw());
  return *spec;
}

const DatasetSpec& TinyShakespeareSpec() {
  static const DatasetSpec* spec = new DatasetSpec(MakeTinyShakespeare());
  return *spec;
}

const std::vector<DatasetSpec>& KnownDatasets() {
  static const std::vector<DatasetSpec>* all = new std::vector<DatasetSpec>{
      ImdbSpec(), WikiText2Spec(), WikiText2RawSpec(), TinyShakespeareSpec()};
  return *all;
}

absl::StatusOr<DatasetSpec> FindDataset(const std::string& name) {
  std::vector<std::string> names;
  for (const DatasetSpec& spec : KnownDatasets()) {
    if (spec.name == name) return spec;
    names.push_back(spec.name);
  }
  return absl::NotFoundError(absl::StrCat("unknown data set '", name, "'; known: ",
                                          absl::StrJoin(names, ", ")));
}

}  // namespace sf::download
