#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "engine/generation/cuda_graph.h"
#include "engine/model/llama_model.h"

namespace kvchain {

// The norm of `other - logits` relative to the norm of `logits`, in float64.
double logits_difference(const torch::Tensor& logits, const torch::Tensor& other);

// How far a recorded CUDA graph's first replay is from the eager warm-up it was recorded in
// (logits_difference of their logits). A replay that read a stale
// input or wrote to the wrong slot gives other logits altogether; one that runs other kernels
// (libtorch may pick another attention kernel inside a recording) only rounds differently,
// which can still change the greedy token where 16-bit logits tie, so the logits are compared,
// not the tokens. Throws beyond 1e-3 in float32 and 1e-2 in 16-bit model types.
double check_replay(const torch::Tensor& eager, const torch::Tensor& replayed,
                    torch::ScalarType model_dtype);

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
  // The largest check_replay difference of the graphs recorded so far (0 before any).
  double largest_replay_difference() const { return largest_replay_difference_; }
  // The latest step's logits, float32 [vocab]: a buffer the next step overwrites.
  const torch::Tensor& last_logits() const;

 private:
  struct Fixed;  // one cache storage's fixed inputs, output and graph
  Fixed& fixed_for(const KVCache& cache);
  void compute(Fixed& fixed, KVCache& cache);

  static constexpr size_t kKept = 4;  // storages remembered (each graph holds some memory)
  LlamaForCausalLM& model_;
  std::vector<std::unique_ptr<Fixed>> fixed_;  // most recently used last
  int64_t replayed_ = 0;
  double largest_replay_difference_ = 0;
};

}  // namespace kvchain
