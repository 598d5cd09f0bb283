// The data sets the project's tasks use, as DatasetSpecs for the download cache:
//
//   absl::StatusOr<std::string> dir = sf::download::ResolveDataDir(
//       absl::GetFlag(FLAGS_data_dir), sf::download::ImdbSpec(), {"train/pos", "train/neg"});
//
//   name             folder returned          holds
//   imdb             <cache>/imdb/aclImdb     train/{pos,neg}/ test/{pos,neg}/ imdb.vocab README
//   wikitext-2       <cache>/wikitext-2/wikitext-2          wiki.{train,valid,test}.tokens
//   wikitext-2-raw   <cache>/wikitext-2-raw/wikitext-2-raw  wiki.{train,valid,test}.raw
//   tinyshakespeare  <cache>/tinyshakespeare  input.txt
//
// The folders have the layout of the official downloads, which is also the layout of the copies
// in ../shared/data, so `--data_dir=../shared/data/aclImdb` and the cache are interchangeable.
#ifndef SCRATCHFORMER_TOOLS_DOWNLOAD_DATASETS_H_
#define SCRATCHFORMER_TOOLS_DOWNLOAD_DATASETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/download/dataset_cache.h"

namespace sf::download {

// IMDB Large Movie Review Dataset v1.0 (Maas et al., ACL 2011).
const DatasetSpec& ImdbSpec();

// WikiText-2 v1, tokenised with <unk> (Merity et al. 2016, CC BY-SA).
const DatasetSpec& WikiText2Spec();

// WikiText-2 raw v1, untokenised.
const DatasetSpec& WikiText2RawSpec();

// tiny-shakespeare (Karpathy's char-rnn), one 1,115,394-byte text file.
const DatasetSpec& TinyShakespeareSpec();

// All of the above, in that order.
const std::vector<DatasetSpec>& KnownDatasets();

// The known data set called `name`; NotFound listing the known names otherwise.
absl::StatusOr<DatasetSpec> FindDataset(const std::string& name);

}  // namespace sf::download

#endif  // SCRATCHFORMER_TOOLS_DOWNLOAD_DATASETS_H_
