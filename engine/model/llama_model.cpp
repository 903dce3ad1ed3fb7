#include "engine/model/llama_model.h"

#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

// Checks a caller's mask against [B|1, H|1, T, past+T] and moves it next to the activations.
torch::Tensor prepare_mask(const torch::Tensor& mask, int64_t batch, int64_t heads, int64_t t,
                           int64_t total, const torch::Tensor& like) {
  const bool ok = mask.dim() == 4 && (mask.size(0) == 1 || mask.size(0) == batch) &&
                  (mask.size(1) == 1 || mask.size(1) == heads) && mask.size(2) == t &&
                  mask.size(3) == total;
  if (!ok) {
    throw Error("attention_mask has shape " + shape_string(mask.sizes()) + ", expected [" +
                std::to_string(batch) + "|1, " + std::to_string(heads) + "|1, " +
                std::to_string(t) + ", " + std::to_string(total) + "]");
  }
  if (mask.scalar_type() == torch::kBool) return mask.to(like.device());
  if (!mask.is_floating_point()) throw Error("attention_mask must be boolean or floating point");
  return mask.to(like.device(), like.scalar_type());
}

}  // namespace

RMSNorm::RMSNorm(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNorm::forward(const torch::Tensor& x) {
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  return weight_ * h.to(x.scalar_type());
}

LlamaMLP::LlamaMLP(const ModelConfig& config) {
  namespace nn = torch::nn;
  const auto c = config.hidden_size, f = config.intermediate_size;
  const bool bias = config.mlp_bias;
  gate_proj_ = register_module("gate_proj", nn::Linear(nn::LinearOptions(c, f).bias(bias)));
  up_proj_ = register_module("up_proj", nn::Linear(nn::LinearOptions(c, f).bias(bias)));
  down_proj_ = register_module("down_proj", nn::Linear(nn::LinearOptions(f, c).bias(bias)));
}

torch::Tensor LlamaMLP::forward(const torch::Tensor& x) {
  return down_proj_->forward(torch::silu(gate_proj_->forward(x)) * up_proj_->forward(x));
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

torch::Tensor LlamaDecoderLayer::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                         const torch::Tensor& sin, const torch::Tensor& mask,
                                         bool is_causal, KVCache* cache) {
  auto h = x + self_attn_->forward(input_layernorm_->forward(x), cos, sin, mask, is_causal, cache);
  return h + mlp_->forward(post_attention_layernorm_->forward(h));
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
  auto h =
      args.input_ids.defined() ? embed(args.input_ids) : args.inputs_embeds.to(device(), dtype());
  const auto batch = h.size(0), t = h.size(1);
  KVCache* cache = args.cache;
  const int64_t past = cache != nullptr ? cache->size() : 0;
  if (cache != nullptr && cache->batch() != batch) {
    throw Error("forward: cache batch " + std::to_string(cache->batch()) +
                " differs from input batch " + std::to_string(batch));
  }

  if (args.cache_slot.defined()) {
    if (cache == nullptr || t != 1 || !args.position_ids.defined() ||
        !args.attention_mask.defined()) {
      throw Error("forward: a cache_slot step takes one token, a cache, position_ids and a mask");
    }
    auto mask = prepare_mask(args.attention_mask, batch, config_.num_attention_heads, t,
                             cache->capacity(), h);
    auto [cos, sin] = rotary_.cos_sin(args.position_ids, h.scalar_type());
    cache->begin_write_at(args.cache_slot);
    for (auto& layer : layers_) h = layer->forward(h, cos, sin, mask, false, cache);
    cache->end_write_at();
    return logits_of(h, args.last_logits_only);
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
  bool is_causal = false;
  if (args.attention_mask.defined()) {
    mask = prepare_mask(args.attention_mask, batch, config_.num_attention_heads, t, past + t, h);
  } else if (t > 1 && past == 0) {
    is_causal = true;
  } else if (t > 1) {
    // New token i sits at slot past+i and may see slots 0..past+i.
    auto q_idx = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(h.device()));
    auto k_idx = torch::arange(past + t, q_idx.options());
    mask = (k_idx.unsqueeze(0) <= (q_idx + past).unsqueeze(1)).view({1, 1, t, past + t});
  }

  auto [cos, sin] = rotary_.cos_sin(positions, h.scalar_type());
  if (cache != nullptr) cache->begin_append(t);
  for (auto& layer : layers_) h = layer->forward(h, cos, sin, mask, is_causal, cache);
  if (cache != nullptr) {
    const auto* p = cached_positions.data_ptr<int64_t>();
    std::vector<int64_t> appended(p, p + t);
    if (args.tag_spans.empty()) {
      cache->finish_append(appended, args.tag);
    } else {
      cache->finish_append(appended, args.tag_spans);
    }
  }
  return logits_of(h, args.last_logits_only);
}

ForwardResult LlamaForCausalLM::logits_of(torch::Tensor h, bool last_only) {
  h = norm_->forward(h);
  auto last = last_only ? h.narrow(1, h.size(1) - 1, 1) : h;
  auto logits = config_.tie_word_embeddings ? torch::matmul(last, embed_tokens_->weight.t())
                                            : lm_head_->forward(last);
  return {logits.to(torch::kFloat32), h};
}

}  // namespace kvchain
