// Fetches one of the project's data sets into the download cache and prints its folder.
//
//   bazel run //tools/download:fetch_data -- --dataset=imdb [--cache_dir=DIR]
//   bazel run //tools/download:fetch_data -- --list
//   bazel run //tools/download:fetch_data -- --dataset=wikitext-2 --url=http://mirror/x.zip
//
// The folder printed on stdout is what task binaries find by themselves when given no
// --data_dir (with the same cache), or what can be passed as --data_dir. Progress and messages
// go to stderr. Exit status: 0 on success, 1 when fetching fails, 2 on a usage error.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tools/download/dataset_cache.h"
#include "tools/download/datasets.h"

ABSL_FLAG(std::string, dataset, "", "Data set to fetch (see --list).");
ABSL_FLAG(bool, list, false, "List the known data sets, their sources and cache state.");
ABSL_FLAG(std::string, cache_dir, "",
          "Cache folder (default: $XDG_CACHE_HOME/scratchformer or ~/.cache/scratchformer).");
ABSL_FLAG(bool, offline, false, "Never use the network: only report what is cached.");
ABSL_FLAG(bool, reverify, false, "Re-hash a cached copy instead of trusting its marker.");
ABSL_FLAG(std::string, url, "",
          "Download from this URL instead of the data set's known ones (e.g. a local mirror).");
ABSL_FLAG(int, max_attempts, 4, "Download attempts per URL (transient errors are retried).");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(30), "Connection timeout.");
ABSL_FLAG(absl::Duration, low_speed_time, absl::Seconds(60),
          "Abandon (and retry) a transfer slower than 1 KiB/s for this long.");

namespace {

using sf::download::DatasetSpec;

void List(const std::string& root) {
  std::cout << "Data sets (cache: " << root << ")\n";
  for (const DatasetSpec& spec : sf::download::KnownDatasets()) {
    absl::StatusOr<std::string> cached = sf::download::FindCachedDataset(spec, root);
    std::cout << "\n" << spec.name << ": " << spec.description << "\n"
              << "  source:  " << absl::StrJoin(spec.urls, "\n           ") << "\n"
              << "  layout:  " << sf::download::DescribeLayout(spec) << "\n";
    if (cached.ok()) {
      std::cout << "  cached:  " << *cached << "\n";
    } else {
      std::cout << "  not cached; would be fetched into " << root << "/" << spec.name
                << (spec.subdir.empty() ? "" : "/" + spec.subdir) << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Fetches a data set into the cache and prints its folder.\n"
      "  fetch_data --dataset=imdb [--cache_dir=DIR] [--offline] [--url=URL]\n"
      "  fetch_data --list");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::cerr << "unexpected argument '" << args[1] << "'\n"
              << absl::ProgramUsageMessage() << "\n";
    return 2;
  }

  sf::download::CacheOptions options;
  options.cache_root = absl::GetFlag(FLAGS_cache_dir);
  options.offline = absl::GetFlag(FLAGS_offline);
  options.reverify = absl::GetFlag(FLAGS_reverify);
  options.download.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  options.download.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.download.low_speed_time = absl::GetFlag(FLAGS_low_speed_time);
  if (!absl::GetFlag(FLAGS_list) && absl::GetFlag(FLAGS_dataset).empty()) {
    std::vector<std::string> names;
    for (const DatasetSpec& spec : sf::download::KnownDatasets()) names.push_back(spec.name);
    std::cerr << "pass --dataset=NAME (one of " << absl::StrJoin(names, ", ")
              << ") or --list\n"
              << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  absl::StatusOr<DatasetSpec> spec = sf::download::FindDataset(absl::GetFlag(FLAGS_dataset));
  if (!absl::GetFlag(FLAGS_list) && !spec.ok()) {
    std::cerr << "error: " << spec.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::string> root = sf::download::CacheRoot(options);
  if (!root.ok()) {
    std::cerr << "error: " << root.status().message() << "\n";
    return 1;
  }
  if (absl::GetFlag(FLAGS_list)) {
    List(*root);
    return 0;
  }
  if (!absl::GetFlag(FLAGS_url).empty()) spec->urls = {absl::GetFlag(FLAGS_url)};

  absl::StatusOr<std::string> dir = sf::download::EnsureDataset(*spec, options);
  if (!dir.ok()) {
    std::cerr << "error: " << dir.status().message() << "\n";
    return 1;
  }
  std::cout << *dir << "\n";
  return 0;
}
