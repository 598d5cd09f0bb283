#include "vision/mnist.h"

#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vision/idx.h"

namespace sf::vision {

absl::StatusOr<std::string> FindIdxFile(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const std::string compressed = (fs::path(dir) / (name + ".gz")).string();
  const std::string plain = (fs::path(dir) / name).string();
  std::error_code ec;
  if (fs::is_regular_file(compressed, ec)) return compressed;
  if (fs::is_regular_file(plain, ec)) return plain;
  std::string hint;
  if (!fs::is_directory(dir, ec)) {
    hint = absl::StrCat(" (", dir, " is not a directory; pass --data_dir=DIR holding the IDX ",
                        "files, or install Debian's dataset-fashion-mnist for ", kFashionMnistDir,
                        ")");
  }
  return absl::NotFoundError(
      absl::StrCat("no IDX file ", compressed, " or ", plain, hint));
}

absl::StatusOr<MnistData> LoadMnist(const std::string& dir, MnistSplit split) {
  const std::string prefix = split == MnistSplit::kTrain ? "train" : "t10k";
  absl::StatusOr<std::string> images_path = FindIdxFile(dir, prefix + "-images-idx3-ubyte");
  if (!images_path.ok()) return images_path.status();
  absl::StatusOr<std::string> labels_path = FindIdxFile(dir, prefix + "-labels-idx1-ubyte");
  if (!labels_path.ok()) return labels_path.status();
  absl::StatusOr<at::Tensor> images = ReadIdxImages(*images_path);
  if (!images.ok()) return images.status();
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(*labels_path);
  if (!labels.ok()) return labels.status();
  if (images->size(0) != labels->size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(*images_path, " holds ", images->size(0), " images but ", *labels_path,
                     " holds ", labels->size(0), " labels"));
  }
  return MnistData{*std::move(images), *std::move(labels)};
}

}  // namespace sf::vision
