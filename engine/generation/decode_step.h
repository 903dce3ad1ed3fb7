#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "engine/generation/cuda_graph.h"
#include "engine/model/llama_model.h"

namespace kvchain {

// One greedy decode step in shape-stable form (ForwardArgs::cache_slot): the token, its
// position, its slot and the attention mask live in fixed tensors on the model's device, and
// attention spans the cache's whole capacity. On a GPU, with a CUDA libtorch, the step is
// recorded as a CUDA graph once per cache storage and replayed: one launch per token instead of
// one per operation, which is most of what a GPU's decode step costs. Elsewhere the same step
// runs eagerly. Keep one across calls (GenerationOptions::decode_step) so later examples whose
// caches get the same buffers reuse the graph; it is valid while the model's weights stay put.
class DecodeStep {
 public:
  explicit DecodeStep(LlamaForCausalLM& model);
  ~DecodeStep();

  // Appends `token` to `cache` at its next position under `tag` and returns the greedy next
  // token. `mask` is boolean [1,1,1,size+1] (true = may attend), or undefined for causal.
  int64_t run(KVCache& cache, int64_t token, const torch::Tensor& mask, const SegmentTag& tag);

  // How many steps were replayed from a recorded graph (the rest ran eagerly).
  int64_t replayed() const { return replayed_; }

 private:
  struct Fixed;  // one cache storage's fixed inputs, output and graph
  Fixed& fixed_for(const KVCache& cache);
  void compute(Fixed& fixed, KVCache& cache);

  static constexpr size_t kKept = 4;  // storages remembered (each graph holds some memory)
  LlamaForCausalLM& model_;
  std::vector<std::unique_ptr<Fixed>> fixed_;  // most recently used last
  int64_t replayed_ = 0;
};

}  // namespace kvchain
