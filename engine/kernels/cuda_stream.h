#pragma once

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

namespace kvchain::kernels {

// Where a launch goes while this lives: t's device is the current one, and stream() is the
// stream libtorch's own kernels on it run on now (a graph capture's stream while one records),
// as the launchers' cudaStream_t. Without the guard a tensor on another GPU than the current one
// would get a kernel launched on the wrong device.
class LaunchOn {
 public:
  explicit LaunchOn(const torch::Tensor& t) : guard_(t.device()) {}
  void* stream() const { return c10::cuda::getCurrentCUDAStream().stream(); }

 private:
  c10::cuda::CUDAGuard guard_;
};

}  // namespace kvchain::kernels
