#include "engine/generation/decode_step.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/io/error.h"
#include "engine/kernels/fused_ops.h"
#include "engine/torch_compat.h"

namespace kvchain {

struct DecodeStep::Fixed {
  std::vector<const void*> storage;
  int64_t capacity = 0, rows = 0;
  torch::Tensor token, embeds, positions, slots, last_row, mask, logits, next;
  // A decode step's columns the mask shows (1) or hides (0), every later column hidden; empty
  // when unknown.
  std::vector<uint8_t> visible;
  std::unique_ptr<CudaGraph> graph;
};

namespace {

// A prefill's additive mask [1,1,rows,capacity], made where `options` say (the fixed mask's
// device and type): row i sees the cache and the new rows up to itself, and the first R rows
// what `given` (boolean, [1,1,R,past+R]) lets them. Rows padding the prefill see the same, which
// keeps their softmax finite; nothing reads what they give. Not on the host for a GPU model:
// there libtorch spreads ops over a long cache's columns across OpenMP threads, and on the
// H200 machine FTHSS's member B at 8,000 tokens then waited 20-48 ms for them in about one
// prefill in three (under a millisecond otherwise, and always with OMP_NUM_THREADS=1).
torch::Tensor prefill_mask(const torch::Tensor& given, int64_t past, int64_t rows, int64_t capacity,
                           const torch::TensorOptions& options) {
  auto mask = compat::causal_bias(rows, capacity, past, options);
  if (given.defined()) {
    const int64_t r = given.size(2);
    if (given.size(-1) != past + r) {
      throw Error("attention_mask has " + std::to_string(given.size(-1)) + " columns for " +
                  std::to_string(r) + " rows behind " + std::to_string(past) +
                  " cached slots, expected " + std::to_string(past + r));
    }
    mask.narrow(0, 0, r)
        .narrow(1, 0, past + r)
        .copy_(additive_mask(given.reshape({r, past + r}), options));
  }
  return mask.view({1, 1, rows, capacity});
}

}  // namespace

double logits_difference(const torch::Tensor& logits, const torch::Tensor& other) {
  const auto expected = logits.to(torch::kFloat64), actual = other.to(torch::kFloat64);
  return ((actual - expected).norm() / expected.norm().clamp_min(1e-12)).item<double>();
}

double check_replay(const torch::Tensor& eager, const torch::Tensor& replayed,
                    torch::ScalarType model_dtype) {
  // 16-bit logits rounded once more differ by about 2e-3 of their norm. On the H200 the
  // Llama-3-8B shape's replays (random weights) equalled their warm-ups exactly in one run and
  // were up to 2.1e-2 away in others the same day (bench/README.md); a stale input or a wrong
  // slot gives differences of order one.
  const double tolerance = model_dtype == torch::kFloat32 ? 1e-3 : 5e-2;
  const double difference = logits_difference(eager, replayed);
  if (!(difference <= tolerance)) {
    throw Error("the recorded CUDA graph's logits differ from the eager step's by " +
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

int64_t DecodeStep::prefill_rows(int64_t tokens) {
  if (tokens > kMaxPrefillRows) return tokens;
  int64_t rows = kMinPrefillRows;
  while (rows < tokens) rows *= 2;
  return rows;
}

DecodeStep::Fixed& DecodeStep::fixed_for(const KVCache& cache, int64_t rows, bool by_embedding) {
  const auto storage = cache.storage();
  for (size_t i = 0; i < fixed_.size(); ++i) {
    const auto& f = *fixed_[i];
    if (f.storage == storage && f.capacity == cache.capacity() && f.rows == rows &&
        f.embeds.defined() == by_embedding) {
      std::rotate(fixed_.begin() + i, fixed_.begin() + i + 1, fixed_.end());
      return *fixed_.back();
    }
  }
  ++forms_;
  if (fixed_.size() == kKept) fixed_.erase(fixed_.begin());
  auto fixed = std::make_unique<Fixed>();
  fixed->storage = storage;
  fixed->capacity = cache.capacity();
  fixed->rows = rows;
  const auto ids = torch::TensorOptions().dtype(torch::kInt64).device(model_.device());
  fixed->token = torch::zeros({1, 1}, ids);
  fixed->positions = torch::zeros({1, rows}, ids);
  fixed->slots = torch::zeros({rows}, ids);
  fixed->last_row = torch::zeros({1}, ids);
  // Additive and in the model's dtype already, so the recorded step has no kernels to convert it.
  fixed->mask = torch::zeros({1, 1, rows, cache.capacity()}, ids.dtype(model_.dtype()));
  if (by_embedding) {
    fixed->embeds = torch::zeros({1, rows, model_.config().hidden_size}, ids.dtype(model_.dtype()));
  }
  fixed_.push_back(std::move(fixed));
  return *fixed_.back();
}

void DecodeStep::compute(Fixed& fixed, KVCache& cache) {
  ForwardArgs args;
  if (fixed.embeds.defined()) {
    args.inputs_embeds = fixed.embeds;
  } else {
    args.input_ids = fixed.token;
  }
  args.position_ids = fixed.positions;
  args.attention_mask = fixed.mask;
  args.cache = &cache;
  args.cache_slots = fixed.slots;
  args.last_logits_only = fixed.rows == 1;
  auto logits = model_.forward(args).logits[0];
  fixed.logits = (fixed.rows == 1 ? logits : logits.index_select(0, fixed.last_row)).view({-1});
  fixed.next = kernels::argmax_supports(fixed.logits) ? kernels::argmax(fixed.logits)
                                                      : fixed.logits.argmax().view({1});
}

int64_t DecodeStep::step(Fixed& fixed, KVCache& cache) {
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
    try {
      largest_replay_difference_ =
          std::max(largest_replay_difference_, check_replay(eager, fixed.logits, model_.dtype()));
    } catch (const Error& e) {
      throw Error((fixed.embeds.defined()
                       ? "prefill padded to " + std::to_string(fixed.rows) + " rows: "
                       : std::string("decode step: ")) +
                  e.what());
    }
  }
  return fixed.next.item<int64_t>();
}

bool DecodeStep::shape_stable(const ForwardArgs& prefill) {
  const auto& input = prefill.input_ids.defined() ? prefill.input_ids : prefill.inputs_embeds;
  if (input.dim() < 2 || input.size(0) != 1) return false;
  const int64_t tokens = input.size(1);
  const auto& positions = prefill.position_ids;
  const auto& mask = prefill.attention_mask;
  const bool positions_ok =
      !positions.defined() || (positions.dim() == 2 && positions.size(1) == tokens);
  // Boolean masks over the first rows, as chains give; any other goes to the ordinary forward,
  // which checks it.
  const bool mask_ok = !mask.defined() || (mask.scalar_type() == torch::kBool && mask.dim() == 4 &&
                                           mask.size(0) == 1 && mask.size(1) == 1 &&
                                           mask.size(2) >= 1 && mask.size(2) <= tokens);
  return tokens >= 1 && tokens <= kMaxPrefillRows && positions_ok && mask_ok &&
         !prefill.cache_slots.defined();
}

int64_t DecodeStep::prefill(const ForwardArgs& prefill) {
  torch::NoGradGuard no_grad;
  KVCache& cache = *prefill.cache;
  const auto& input = prefill.input_ids.defined() ? prefill.input_ids : prefill.inputs_embeds;
  const int64_t tokens = input.size(1), rows = prefill_rows(tokens);
  const auto& mask = prefill.attention_mask;
  const bool stable = shape_stable(prefill);
  // A static cache sized for the tokens alone has no room for the padding rows.
  if (stable) cache.fit(cache.size() + rows);
  if (!stable || cache.capacity() < cache.size() + rows) {
    ForwardArgs args = prefill;
    args.last_logits_only = true;
    return model_.forward(args).logits[0][-1].argmax().item<int64_t>();
  }
  auto& fixed = fixed_for(cache, rows, true);
  const auto embeds =
      prefill.inputs_embeds.defined() ? prefill.inputs_embeds : model_.embed(prefill.input_ids);
  fixed.embeds.narrow(1, 0, tokens).copy_(embeds);
  const int64_t past = cache.size();
  std::vector<int64_t> positions(tokens);
  if (prefill.position_ids.defined()) {
    const auto given = prefill.position_ids[0].to(torch::kCPU, torch::kInt64).contiguous();
    std::copy_n(given.data_ptr<int64_t>(), tokens, positions.begin());
  } else {
    std::iota(positions.begin(), positions.end(), cache.next_position());
  }
  std::vector<int64_t> padded(positions), slots(rows);
  // Rows padding the prefill continue its numbering.
  for (int64_t i = tokens; i < rows; ++i) padded.push_back(positions.back() + i - tokens + 1);
  std::iota(slots.begin(), slots.end(), past);
  fixed.positions.copy_(torch::tensor(padded, torch::kInt64).view({1, rows}));
  fixed.slots.copy_(torch::tensor(slots, torch::kInt64));
  fixed.last_row.fill_(tokens - 1);
  fixed.mask.copy_(prefill_mask(mask, past, rows, cache.capacity(), fixed.mask.options()));
  const int64_t next = step(fixed, cache);
  cache.begin_append(tokens);
  if (prefill.tag_spans.empty()) {
    cache.finish_append(positions, prefill.tag);
  } else {
    cache.finish_append(positions, prefill.tag_spans);
  }
  return next;
}

int64_t DecodeStep::run(KVCache& cache, int64_t token, const torch::Tensor& mask,
                        const SegmentTag& tag) {
  if (mask.defined() && mask.scalar_type() != torch::kBool) {
    throw Error("decode step: the attention mask must be boolean");
  }
  torch::NoGradGuard no_grad;
  if (cache.size() >= cache.capacity()) cache.fit(cache.size() + 1);
  const int64_t position = cache.next_position(), columns = cache.size() + 1;
  std::vector<uint8_t> visible(columns, 1);
  if (mask.defined()) {
    if (mask.numel() != columns) {
      throw Error("decode step: the attention mask has " + std::to_string(mask.numel()) +
                  " columns for " + std::to_string(cache.size()) +
                  " cached slots and the new token, expected " + std::to_string(columns));
    }
    const auto host = mask.to(torch::kCPU).contiguous();
    std::copy_n(host.data_ptr<bool>(), columns, visible.begin());
  }
  auto& fixed = fixed_for(cache, 1, false);
  fixed.token.fill_(token);
  fixed.positions.fill_(position);
  fixed.slots.fill_(cache.size());
  show(fixed, std::move(visible));
  const int64_t next = step(fixed, cache);
  cache.begin_append(1);
  cache.finish_append({position}, tag);
  return next;
}

void DecodeStep::show(Fixed& fixed, std::vector<uint8_t> visible) {
  // Empty flags mean nothing is known of the mask (a new form's, or one a throwing rebuild left):
  // it is rebuilt.
  const auto shown = static_cast<int64_t>(fixed.visible.size());
  if (shown > 0 && shown + 1 == static_cast<int64_t>(visible.size()) &&
      std::equal(fixed.visible.begin(), fixed.visible.end(), visible.begin())) {
    // The last step's columns and the new token's: one column changes.
    if (visible.back() != 0) fixed.mask.narrow(3, shown, 1).zero_();
  } else {
    fixed.visible.clear();
    const auto columns = static_cast<int64_t>(visible.size());
    auto given = torch::empty({columns}, torch::kBool);
    std::copy(visible.begin(), visible.end(), given.data_ptr<bool>());
    fixed.mask.fill_(-std::numeric_limits<float>::infinity());
    fixed.mask.narrow(3, 0, columns)
        .copy_(additive_mask(given, fixed.mask.options()).view({1, 1, 1, columns}));
  }
  fixed.visible = std::move(visible);
}

}  // namespace kvchain
