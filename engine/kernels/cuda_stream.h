#pragma once

#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

namespace kvchain::kernels {

// The stream libtorch's own kernels on t's device run on now (a graph capture's stream while
// one records), as the launchers' cudaStream_t.
inline void* stream_of(const torch::Tensor& t) {
  return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

}  // namespace kvchain::kernels
