#include "engine/generation/cuda_graph.h"

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>
#endif

namespace kvchain {

#ifdef KVCHAIN_CUDA

struct CudaGraph::Impl {
  at::cuda::CUDAGraph graph;
};

bool CudaGraph::available() {
  return torch::cuda::is_available();
}

void CudaGraph::capture(const std::function<void()>& body) {
  // Recording is refused on the default stream, and work still queued there must not be
  // recorded: wait for it, then record on a stream of the pool.
  torch::cuda::synchronize();
  auto stream = c10::cuda::getStreamFromPool();
  {
    c10::cuda::CUDAStreamGuard guard(stream);
    body();
    stream.synchronize();
    impl_->graph.capture_begin();
    body();
    impl_->graph.capture_end();
  }
  torch::cuda::synchronize();
}

void CudaGraph::replay() {
  impl_->graph.replay();
}

#else

struct CudaGraph::Impl {};

bool CudaGraph::available() {
  return false;
}

void CudaGraph::capture(const std::function<void()>&) {
  throw Error("CUDA graphs need kvchain built against a CUDA libtorch");
}

void CudaGraph::replay() {
  throw Error("CUDA graphs need kvchain built against a CUDA libtorch");
}

#endif

CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;

}  // namespace kvchain
