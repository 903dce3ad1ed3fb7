#include "engine/model/llama_model.h"

#include <limits>

#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/kernels/fused_ops.h"
#include "engine/torch_compat.h"

namespace kvchain {
namespace {

// Checks a caller's mask against [B|1, H|1, rows, total] and makes it an additive mask next to
// the activations.
torch::Tensor prepare_mask(const torch::Tensor& mask, int64_t batch, int64_t heads, int64_t rows,
                           int64_t total, const torch::Tensor& like) {
  const bool ok = mask.dim() == 4 && (mask.size(0) == 1 || mask.size(0) == batch) &&
                  (mask.size(1) == 1 || mask.size(1) == heads) && mask.size(2) == rows &&
                  mask.size(3) == total;
  if (!ok) {
    throw Error("attention_mask has shape " + shape_string(mask.sizes()) + ", expected [" +
                std::to_string(batch) + "|1, " + std::to_string(heads) + "|1, " +
                std::to_string(rows) + ", " + std::to_string(total) + "]");
  }
  if (mask.scalar_type() == torch::kBool) {
    // Made additive once per forward, so that every layer adds it instead of masking.
    return additive_mask(mask, like.options());
  }
  if (!mask.is_floating_point()) throw Error("attention_mask must be boolean or floating point");
  return mask.to(like.device(), like.scalar_type());
}

}  // namespace

torch::Tensor additive_mask(const torch::Tensor& visible, const torch::TensorOptions& options) {
  return torch::zeros(visible.sizes(), options)
      .masked_fill_(visible.to(options.device()).logical_not(),
                    -std::numeric_limits<float>::infinity());
}

LlamaMLP::LlamaMLP(const ModelConfig& config)
    : intermediate_size_(config.intermediate_size), gate_up_({}) {
  namespace nn = torch::nn;
  const auto c = config.hidden_size, f = config.intermediate_size;
  const bool bias = config.mlp_bias;
  gate_proj_ = register_module("gate_proj", nn::Linear(nn::LinearOptions(c, f).bias(bias)));
  up_proj_ = register_module("up_proj", nn::Linear(nn::LinearOptions(c, f).bias(bias)));
  down_proj_ = register_module("down_proj", nn::Linear(nn::LinearOptions(f, c).bias(bias)));
  gate_up_ = StackedLinear({gate_proj_, up_proj_});
}

torch::Tensor LlamaMLP::forward(const torch::Tensor& x) {
  auto gate_up = gate_up_.forward(x);
  return kernels::silu_mul_supports(gate_up)
             ? kernels::silu_mul(gate_up)
             : torch::silu(gate_up.narrow(-1, 0, intermediate_size_)) *
                   gate_up.narrow(-1, intermediate_size_, intermediate_size_);
}

LlamaDecoderLayer::LlamaDecoderLayer(const ModelConfig& config, int64_t layer_index) {
  self_attn_ = register_module("self_attn", std::make_shared<LlamaAttention>(config, layer_index));
  mlp_ = register_module("mlp", std::make_shared<LlamaMLP>(config));
  input_layernorm_ = register_module(
      "input_layernorm", std::make_shared<RMSNorm>(config.hidden_size, config.rms_norm_eps));
  post_attention_layernorm_ =
      register_module("post_attention_layernorm",
                      std::make_shared<RMSNorm>(config.hidden_size, config.rms_norm_eps));
}

NormedSum LlamaDecoderLayer::forward(const NormedSum& in, const RotaryTables& rotary,
                                     const torch::Tensor& mask, KVCache* cache,
                                     RMSNorm& next_norm) {
  const auto h = add_linear_norm(in.sum, self_attn_->o_proj(),
                                 self_attn_->forward(in.normed, rotary, mask, cache),
                                 *post_attention_layernorm_);
  return add_linear_norm(h.sum, mlp_->down_proj(), mlp_->forward(h.normed), next_norm);
}

LlamaForCausalLM::LlamaForCausalLM(ModelConfig config)
    : config_(std::move(config)), rotary_(config_) {
  model_ = register_module("model", std::make_shared<torch::nn::Module>());
  embed_tokens_ = model_->register_module(
      "embed_tokens", torch::nn::Embedding(config_.vocab_size, config_.hidden_size));
  auto layer_list = model_->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    layers_.push_back(std::make_shared<LlamaDecoderLayer>(config_, i));
    layer_list->push_back(layers_.back());
  }
  norm_ = model_->register_module(
      "norm", std::make_shared<RMSNorm>(config_.hidden_size, config_.rms_norm_eps));
  if (!config_.tie_word_embeddings) {
    lm_head_ = register_module(
        "lm_head",
        torch::nn::Linear(
            torch::nn::LinearOptions(config_.hidden_size, config_.vocab_size).bias(false)));
  }
}

torch::ScalarType LlamaForCausalLM::dtype() const {
  return embed_tokens_->weight.scalar_type();
}

torch::Device LlamaForCausalLM::device() const {
  return embed_tokens_->weight.device();
}

KVCache LlamaForCausalLM::make_cache(int64_t batch, int64_t capacity,
                                     KVCache::Layout layout) const {
  return KVCache(config_, batch, torch::TensorOptions().dtype(dtype()).device(device()), capacity,
                 layout);
}

torch::Tensor LlamaForCausalLM::embed(const torch::Tensor& input_ids) {
  return embed_tokens_->forward(input_ids.to(device()));
}

void LlamaForCausalLM::init_random(uint64_t seed, double std) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& item : named_parameters()) {
    auto& p = item.value();
    if (p.dim() == 1) {
      p.fill_(item.key().find("norm") != std::string::npos ? 1.0 : 0.0);
    } else {
      p.copy_(at::normal(0.0, std, p.sizes(), generator,
                         torch::TensorOptions().dtype(torch::kFloat32)));
    }
  }
}

ForwardResult LlamaForCausalLM::forward(const ForwardArgs& args) {
  if (args.input_ids.defined() == args.inputs_embeds.defined()) {
    throw Error("forward: pass exactly one of input_ids and inputs_embeds");
  }
  auto h = args.input_ids.defined() ? embed(args.input_ids)
                                    : args.inputs_embeds.to(device(), dtype()).contiguous();
  // The layers may add to their input in place (add_linear): never to the caller's tensor.
  if (args.inputs_embeds.defined() && h.is_alias_of(args.inputs_embeds)) h = h.clone();
  const auto batch = h.size(0), t = h.size(1);
  KVCache* cache = args.cache;
  const int64_t past = cache != nullptr ? cache->size() : 0;
  if (cache != nullptr && cache->batch() != batch) {
    throw Error("forward: cache batch " + std::to_string(cache->batch()) +
                " differs from input batch " + std::to_string(batch));
  }

  if (args.cache_slots.defined()) {
    const bool per_row = args.cache_slots.dim() == 2;
    const bool slots_fit = per_row
                               ? args.cache_slots.size(0) == batch && args.cache_slots.size(1) == t
                               : args.cache_slots.numel() == t;
    if (cache == nullptr || !slots_fit || !args.position_ids.defined() ||
        !args.attention_mask.defined()) {
      throw Error(
          "forward: a cache_slots step takes a slot per token ([T], or [B, T] per row), a "
          "cache, position_ids and a mask");
    }
    auto mask = prepare_mask(args.attention_mask, batch, config_.num_attention_heads, t,
                             cache->capacity(), h);
    const auto rotary = rotary_.tables(args.position_ids, h.scalar_type());
    // Ended however the layers exit; the caller commits the slots it keeps.
    struct EndWrite {
      KVCache* cache;
      ~EndWrite() { cache->end_write(); }
    } end_write{cache};
    cache->begin_write(CacheSlots::at(args.cache_slots));
    return run_layers(h, rotary, mask, cache, args);
  }

  torch::Tensor positions = args.position_ids;
  if (!positions.defined()) {
    const int64_t start = cache != nullptr ? cache->next_position() : 0;
    positions = torch::arange(start, start + t, torch::kInt64).unsqueeze(0).expand({batch, t});
  } else if (positions.dim() != 2 || positions.size(1) != t) {
    throw Error("forward: position_ids has shape " + shape_string(positions.sizes()) +
                ", expected [B, " + std::to_string(t) + "]");
  }
  // The cache records positions on the host; taking them before the move to the model's device
  // spares default (host-built) positions a device-to-host copy and sync on every decode step.
  const auto cached_positions = positions[0].to(torch::kCPU, torch::kInt64).contiguous();
  positions = positions.to(h.device());

  torch::Tensor mask;
  if (args.attention_mask.defined()) {
    const auto& given = args.attention_mask;
    const bool partial = given.dim() == 4 && given.size(2) >= 1 && given.size(2) < t;
    const int64_t rows = partial ? given.size(2) : t;
    mask = compat::layer_mask(
        prepare_mask(given, batch, config_.num_attention_heads, rows, past + rows, h), past, t);
  }

  const auto rotary = rotary_.tables(positions, h.scalar_type());
  if (cache != nullptr) cache->begin_write(CacheSlots::next(t));
  auto result = run_layers(h, rotary, mask, cache, args);
  if (cache != nullptr) {
    const auto* p = cached_positions.data_ptr<int64_t>();
    std::vector<int64_t> appended(p, p + t);
    if (args.tag_spans.empty()) {
      cache->commit(appended, args.tag);
    } else {
      cache->commit(appended, args.tag_spans);
    }
  }
  return result;
}

ForwardResult LlamaForCausalLM::run_layers(torch::Tensor h, const RotaryTables& rotary,
                                           const torch::Tensor& mask, KVCache* cache,
                                           const ForwardArgs& args) {
  NormedSum stream{h, (layers_.empty() ? *norm_ : layers_.front()->input_layernorm()).forward(h)};
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& next_norm = i + 1 < layers_.size() ? layers_[i + 1]->input_layernorm() : *norm_;
    stream = layers_[i]->forward(stream, rotary, mask, cache, next_norm);
  }
  h = stream.normed;
  if (args.hidden_only) return {torch::Tensor(), h};
  return {logits_of(args.last_logits_only ? h.narrow(1, h.size(1) - 1, 1) : h), h};
}

torch::Tensor LlamaForCausalLM::logits_of(const torch::Tensor& hidden) {
  const auto logits = config_.tie_word_embeddings ? torch::matmul(hidden, embed_tokens_->weight.t())
                                                  : lm_head_->forward(hidden);
  return logits.to(torch::kFloat32);
}

}  // namespace kvchain
