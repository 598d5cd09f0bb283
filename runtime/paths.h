// Paths given by a user on the command line, resolved the way the user meant them.
//
// `bazel run //tasks:imdb -- --data_dir=data/aclImdb` starts the binary inside its runfiles
// tree, not in the directory the user typed the command in. Bazel passes that directory as
// $BUILD_WORKING_DIRECTORY; relative paths are resolved against it, so the same flag works
// under `bazel run` and when the binary is started directly.
//
//   std::string dir = sf::runtime::ResolveUserPath(absl::GetFlag(FLAGS_data_dir));
#ifndef SCRATCHFORMER_RUNTIME_PATHS_H_
#define SCRATCHFORMER_RUNTIME_PATHS_H_

#include <string>
#include <string_view>

namespace sf::runtime {

// Returns `path` unchanged when it is empty or absolute; otherwise joins it to
// $BUILD_WORKING_DIRECTORY when that is set, or leaves it relative to the current directory.
// A leading `~/` expands to $HOME.
std::string ResolveUserPath(std::string_view path);

// The directory relative user paths are resolved against: $BUILD_WORKING_DIRECTORY when set,
// else the current working directory.
std::string UserWorkingDirectory();

}  // namespace sf::runtime

#endif  // SCRATCHFORMER_RUNTIME_PATHS_H_
