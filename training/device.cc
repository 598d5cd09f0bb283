#include "training/device.h"

#include <cctype>

#include <torch/cuda.h>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

ABSL_FLAG(std::string, device, "cpu",
          "Where to train: cpu, cuda or cuda:N (CUDA needs a LibTorch built with it).");

namespace sf::training {

absl::StatusOr<c10::Device> ResolveDevice(const std::string& spec, int cuda_device_count) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(spec));
  if (s == "cpu") return c10::Device(c10::kCPU);
  absl::string_view rest = s;
  if (!absl::ConsumePrefix(&rest, "cuda")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=", spec, " is not a device: use cpu, cuda or cuda:N"));
  }
  int index = 0;
  if (!rest.empty()) {
    if (!absl::ConsumePrefix(&rest, ":") || rest.empty() || !std::isdigit(rest[0]) ||
        !absl::SimpleAtoi(rest, &index)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--device=", spec, " is not a device: use cpu, cuda or cuda:N"));
    }
  }
  if (cuda_device_count <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--device=", spec,
        " asks for CUDA, but no GPU is usable: this LibTorch was built without CUDA or no GPU "
        "is visible (torch::cuda::is_available() is false). Use --device=cpu."));
  }
  if (index >= cuda_device_count) {
    return absl::FailedPreconditionError(
        absl::StrCat("--device=", spec, " names GPU ", index, " but only ", cuda_device_count,
                     " GPU(s) are visible (cuda:0 to cuda:", cuda_device_count - 1, ")"));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

absl::StatusOr<c10::Device> ParseDevice(const std::string& spec) {
  const int count = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count())
                                                : 0;
  return ResolveDevice(spec, count);
}

absl::StatusOr<c10::Device> DeviceFromFlags() { return ParseDevice(absl::GetFlag(FLAGS_device)); }

}  // namespace sf::training
