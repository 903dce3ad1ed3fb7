#include "engine/generation/decode_step.h"

#include <algorithm>
#include <limits>

#include "engine/io/error.h"

namespace kvchain {

struct DecodeStep::Fixed {
  std::vector<const void*> storage;
  int64_t capacity = 0;
  torch::Tensor token, position, slot, mask, logits, next;
  std::unique_ptr<CudaGraph> graph;
};

double logits_difference(const torch::Tensor& logits, const torch::Tensor& other) {
  const auto expected = logits.to(torch::kFloat64), actual = other.to(torch::kFloat64);
  return ((actual - expected).norm() / expected.norm().clamp_min(1e-12)).item<double>();
}

double check_replay(const torch::Tensor& eager, const torch::Tensor& replayed,
                    torch::ScalarType model_dtype) {
  // 16-bit logits rounded once more differ by about 2e-3 of their norm; on the H200 the
  // Llama-3-8B shape's replays equalled their warm-ups exactly (bench/README.md).
  const double tolerance = model_dtype == torch::kFloat32 ? 1e-3 : 1e-2;
  const double difference = logits_difference(eager, replayed);
  if (!(difference <= tolerance)) {
    throw Error("decode step: the recorded CUDA graph's logits differ from the eager step's by " +
                std::to_string(difference) + " of their norm (at most " +
                std::to_string(tolerance) + " expected)");
  }
  return difference;
}

DecodeStep::DecodeStep(LlamaForCausalLM& model) : model_(model) {}
DecodeStep::~DecodeStep() = default;

const torch::Tensor& DecodeStep::last_logits() const {
  if (fixed_.empty()) throw Error("decode step: no step has run yet");
  return fixed_.back()->logits;
}

DecodeStep::Fixed& DecodeStep::fixed_for(const KVCache& cache) {
  const auto storage = cache.storage();
  for (size_t i = 0; i < fixed_.size(); ++i) {
    if (fixed_[i]->storage == storage && fixed_[i]->capacity == cache.capacity()) {
      std::rotate(fixed_.begin() + i, fixed_.begin() + i + 1, fixed_.end());
      return *fixed_.back();
    }
  }
  if (fixed_.size() == kKept) fixed_.erase(fixed_.begin());
  auto fixed = std::make_unique<Fixed>();
  fixed->storage = storage;
  fixed->capacity = cache.capacity();
  const auto ids = torch::TensorOptions().dtype(torch::kInt64).device(model_.device());
  fixed->token = torch::zeros({1, 1}, ids);
  fixed->position = torch::zeros({1, 1}, ids);
  fixed->slot = torch::zeros({1}, ids);
  // Additive and in the model's dtype already, so the recorded step has no kernels to convert it.
  fixed->mask = torch::zeros({1, 1, 1, cache.capacity()}, ids.dtype(model_.dtype()));
  fixed_.push_back(std::move(fixed));
  return *fixed_.back();
}

void DecodeStep::compute(Fixed& fixed, KVCache& cache) {
  ForwardArgs args;
  args.input_ids = fixed.token;
  args.position_ids = fixed.position;
  args.attention_mask = fixed.mask;
  args.cache = &cache;
  args.cache_slot = fixed.slot;
  args.last_logits_only = true;
  fixed.logits = model_.forward(args).logits.view({-1});
  fixed.next = fixed.logits.argmax().view({1});
}

int64_t DecodeStep::run(KVCache& cache, int64_t token, const torch::Tensor& mask,
                        const SegmentTag& tag) {
  if (mask.defined() && mask.scalar_type() != torch::kBool) {
    throw Error("decode step: the attention mask must be boolean");
  }
  torch::NoGradGuard no_grad;
  if (cache.size() >= cache.capacity()) cache.fit(cache.size() + 1);
  const int64_t position = cache.next_position();
  auto& fixed = fixed_for(cache);
  fixed.token.fill_(token);
  fixed.position.fill_(position);
  fixed.slot.fill_(cache.size());
  constexpr float kHidden = -std::numeric_limits<float>::infinity();
  fixed.mask.fill_(kHidden);
  auto visible = fixed.mask.narrow(3, 0, cache.size() + 1);
  if (mask.defined()) {
    visible.copy_(
        additive_mask(mask.reshape(visible.sizes()), mask.options().dtype(fixed.mask.dtype())));
  } else {
    visible.zero_();
  }
  torch::Tensor eager;  // a recording's warm-up logits, which its first replay must repeat
  if (model_.device().is_cuda() && CudaGraph::available()) {
    if (!fixed.graph) {
      fixed.graph = std::make_unique<CudaGraph>();
      fixed.graph->capture([&] {
        compute(fixed, cache);
        if (!eager.defined()) eager = fixed.logits.clone();
      });
    }
    fixed.graph->replay();
    ++replayed_;
  } else {
    compute(fixed, cache);
  }
  if (eager.defined()) {
    largest_replay_difference_ =
        std::max(largest_replay_difference_, check_replay(eager, fixed.logits, model_.dtype()));
  }
  const int64_t next = fixed.next.item<int64_t>();
  cache.begin_append(1);
  cache.finish_append({position}, tag);
  return next;
}

}  // namespace kvchain
