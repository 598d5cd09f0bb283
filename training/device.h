// The --device flag: where a run puts its model and batches. CPU by default; CUDA when the
// LibTorch in use was built with it and a GPU is visible (Debian's LibTorch is CPU-only).
//
//   absl::StatusOr<torch::Device> device = sf::training::DeviceFromFlags();
//   if (!device.ok()) { std::cerr << device.status() << "\n"; return 1; }
//   model->to(*device);
//   batch = batch.to(*device);  // model code never assumes kCPU: it follows its inputs
//
// Flag defined here: --device ("cpu", "cuda" or "cuda:N").
#ifndef SCRATCHFORMER_TRAINING_DEVICE_H_
#define SCRATCHFORMER_TRAINING_DEVICE_H_

#include <string>

#include <c10/core/Device.h>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"

ABSL_DECLARE_FLAG(std::string, device);

namespace sf::training {

// Parses "cpu", "cuda" or "cuda:N" given that `cuda_device_count` GPUs are usable.
// InvalidArgument for other spellings; FailedPrecondition, saying why and what to use
// instead, when CUDA is asked for but not usable or N is out of range.
absl::StatusOr<c10::Device> ResolveDevice(const std::string& spec, int cuda_device_count);

// ResolveDevice with the GPUs this process can use (none with a CPU-only LibTorch).
absl::StatusOr<c10::Device> ParseDevice(const std::string& spec);

// ParseDevice(--device).
absl::StatusOr<c10::Device> DeviceFromFlags();

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_DEVICE_H_
