#pragma once

#include <functional>
#include <memory>

namespace kvchain {

// A CUDA graph: the kernels a piece of code launches on the GPU, recorded once and replayed
// with a single launch. Exists where kvchain is built against a CUDA libtorch (PyTorch's, on the
// GPU machine); elsewhere available() is false and capture() throws.
class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  static bool available();
  // Runs `body` once on a side stream (lazily created handles and workspaces come into being
  // there, not during the recording), then records a second run of it. The tensors the recorded
  // run created are the graph's outputs: replay() refills them.
  void capture(const std::function<void()>& body);
  void replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvchain
