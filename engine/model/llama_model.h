#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "engine/model/attention.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/rms_norm.h"
#include "engine/model/rope.h"
#include "engine/model/stacked_linear.h"

namespace kvchain {

class LlamaMLP : public torch::nn::Module {
 public:
  explicit LlamaMLP(const ModelConfig& config);
  // silu(gate(x)) * up(x), [B,T,F]: the MLP before down_proj, which the decoder layer adds to
  // the residual stream together with the next norm (add_linear_norm).
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear& down_proj() { return down_proj_; }

 private:
  int64_t intermediate_size_;
  torch::nn::Linear gate_proj_{nullptr}, up_proj_{nullptr}, down_proj_{nullptr};
  StackedLinear gate_up_;
};

class LlamaDecoderLayer : public torch::nn::Module {
 public:
  LlamaDecoderLayer(const ModelConfig& config, int64_t layer_index);
  // The layer's output from its input `in` (the residual stream and its norm by this layer's
  // input_layernorm), with the output's norm by `next_norm`: the next layer's input norm, or the
  // model's final one. The layer owns the residual stream: it adds each sublayer's output
  // projection to it and normalises for the next sublayer in one step (add_linear_norm, fused
  // on a GPU). Without autograd the output's sum is in.sum itself, updated in place (see
  // add_linear).
  NormedSum forward(const NormedSum& in, const RotaryTables& rotary, const torch::Tensor& mask,
                    KVCache* cache, RMSNorm& next_norm);
  RMSNorm& input_layernorm() { return *input_layernorm_; }

 private:
  std::shared_ptr<RMSNorm> input_layernorm_, post_attention_layernorm_;
  std::shared_ptr<LlamaAttention> self_attn_;
  std::shared_ptr<LlamaMLP> mlp_;
};

// A boolean mask (true = may attend) as an additive one: 0 where visible, -inf elsewhere, made
// with `options` (dtype and device).
torch::Tensor additive_mask(const torch::Tensor& visible, const torch::TensorOptions& options);

struct ForwardArgs {
  torch::Tensor input_ids;      // [B,T] int64, or
  torch::Tensor inputs_embeds;  // [B,T,C] (soft prompts are spliced in here)
  torch::Tensor position_ids;   // [B,T]; default: continue from the cache's next position
  // bool (true = attend) or additive, [B|1, H|1, R, past+R] for the first R <= T new tokens;
  // the tokens after them (all T by default) see the cache and the new tokens up to themselves.
  torch::Tensor attention_mask;
  KVCache* cache = nullptr;        // read, then appended to
  SegmentTag tag;                  // recorded in the cache for the appended tokens, or
  std::vector<TagSpan> tag_spans;  // one tag per consecutive run of them (lengths sum to T)
  bool last_logits_only = false;   // decode and generation need only the last position
  bool hidden_only = false;        // no logits: the caller projects the rows it needs (logits_of)
  // The T tokens written at these cache slots (int64 [T], or [B, T] per row, on the model's
  // device), attending over the cache's whole capacity: needs position_ids on the device and a
  // mask [B|1,1,T,capacity]; the cache's bookkeeping is the caller's. Every step then runs the same
  // kernels on the same buffers, which is what a CUDA graph replays
  // (generation/shape_stable_steps.h).
  torch::Tensor cache_slots;
};

struct ForwardResult {
  torch::Tensor logits;         // float32 [B,T|1,V]; undefined with hidden_only
  torch::Tensor hidden_states;  // final-norm output [B,T,C]
};

// transformers' LlamaForCausalLM; its submodule names equal the Hugging Face tensor names, so
// named_parameters() is the checkpoint layout.
class LlamaForCausalLM : public torch::nn::Module {
 public:
  explicit LlamaForCausalLM(ModelConfig config);

  const ModelConfig& config() const { return config_; }
  torch::Tensor embed(const torch::Tensor& input_ids);
  ForwardResult forward(const ForwardArgs& args);
  // The vocabulary projection of final-norm hidden states [..., C]: float32 [..., V].
  torch::Tensor logits_of(const torch::Tensor& hidden);
  // Normal(0, std) weights and unit norms: for benchmarks and tests with no checkpoint.
  void init_random(uint64_t seed, double std = 0.02);
  torch::ScalarType dtype() const;
  torch::Device device() const;
  // An empty cache shaped for this model, on its device and in its dtype.
  KVCache make_cache(int64_t batch, int64_t capacity = 0,
                     KVCache::Layout layout = KVCache::Layout::kGrowable) const;

 private:
  // The layers from the embeddings h, then the vocabulary projection of their final-norm output
  // (of its last position only, or none, as `args` asks).
  ForwardResult run_layers(torch::Tensor h, const RotaryTables& rotary, const torch::Tensor& mask,
                           KVCache* cache, const ForwardArgs& args);

  ModelConfig config_;
  RotaryEmbedding rotary_;
  std::shared_ptr<torch::nn::Module> model_;
  torch::nn::Embedding embed_tokens_{nullptr};
  std::vector<std::shared_ptr<LlamaDecoderLayer>> layers_;
  std::shared_ptr<RMSNorm> norm_;
  torch::nn::Linear lm_head_{nullptr};
};

}  // namespace kvchain
