#pragma once

#include <torch/torch.h>

#include <cstdint>
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
// not the tokens. Throws beyond 1e-3 in float32 and 5e-2 in 16-bit model types.
double check_replay(const torch::Tensor& eager, const torch::Tensor& replayed,
                    torch::ScalarType model_dtype);

// Greedy generation's steps in shape-stable form (ForwardArgs::cache_slots): a decode step's
// token, or a short prefill's embeddings padded to a bucket of rows, their positions, slots and
// the attention mask live in fixed tensors on the model's device (a step form), and attention
// spans the cache's whole capacity. On a GPU, with a CUDA libtorch, each form is recorded as a
// CUDA graph once per cache storage and replayed: one launch per step instead of one per
// operation, which is most of what a GPU's decode step, and a chain member's prefill of a few
// tokens behind a shared cache, cost. Elsewhere the same steps run eagerly. Keep one across
// calls (GenerationOptions::steps) so later examples whose caches get the same buffers reuse
// the graphs; it is valid while the model's weights stay put.
class ShapeStableSteps {
 public:
  explicit ShapeStableSteps(LlamaForCausalLM& model);
  ~ShapeStableSteps();

  // A prefill of at most this many tokens runs in shape-stable form, padded to the next power
  // of two of at least kMinPrefillRows rows; a longer one, whose matmuls outweigh its launches,
  // runs as an ordinary forward.
  static constexpr int64_t kMaxPrefillRows = 64;
  static constexpr int64_t kMinPrefillRows = 8;

  // Appends `prefill` (ids or embeddings, its positions, mask and tags as a forward takes
  // them) to `*prefill.cache` and returns the greedy next token. The shape-stable form takes
  // batch 1, a boolean mask [1,1,R,past+R] or none, and a cache with room for the padded rows
  // (a growable one is fitted to them); anything else runs as an ordinary forward.
  int64_t prefill(const ForwardArgs& prefill);
  // Appends `token` to `cache` at its next position under `tag` and returns the greedy next
  // token. `mask` is boolean [1,1,1,size+1] (true = may attend), or undefined for causal.
  int64_t decode(KVCache& cache, int64_t token, const torch::Tensor& mask, const SegmentTag& tag);

  // The rows a prefill of `tokens` tokens runs with: a bucket, or `tokens` if it runs as an
  // ordinary forward.
  static int64_t prefill_rows(int64_t tokens);
  // How many steps (decode steps and prefills) were replayed from a recorded graph.
  int64_t replayed() const { return replayed_; }
  // How many step forms (a cache's storage and capacity, a row count) were set up; a GPU records
  // a graph for each. A runner whose examples keep their lengths sets them up once.
  int64_t forms() const { return forms_; }
  // The largest check_replay difference of the graphs recorded so far (0 before any).
  double largest_replay_difference() const { return largest_replay_difference_; }
  // The latest step's logits, float32 [vocab]: a buffer the next step overwrites.
  const torch::Tensor& last_logits() const;

 private:
  struct StepForm;  // one form's fixed inputs, output and graph on one cache storage
  static bool shape_stable(const ForwardArgs& prefill);
  StepForm& form_for(const KVCache& cache, int64_t rows, bool by_embedding);
  // Runs the step on its form's inputs (or records it and replays it) and returns its greedy
  // token.
  int64_t step(StepForm& form, KVCache& cache);
  void compute(StepForm& form, KVCache& cache);
  // Sets a decode step's mask to `visible` (one flag a column): when it is the last step's and
  // one more column, only that column is written (one small kernel on a GPU, instead of
  // rebuilding the whole row on the host and copying it over).
  static void set_decode_mask(StepForm& form, std::vector<uint8_t> visible);

  static constexpr size_t kKept = 8;  // step forms remembered (each graph holds some memory)
  LlamaForCausalLM& model_;
  std::vector<std::unique_ptr<StepForm>> forms_kept_;  // most recently used last
  int64_t replayed_ = 0, forms_ = 0;
  double largest_replay_difference_ = 0;
};

}  // namespace kvchain
