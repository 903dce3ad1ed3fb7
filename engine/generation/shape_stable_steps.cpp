#include "engine/generation/shape_stable_steps.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/io/error.h"
#include "engine/kernels/fused_ops.h"
#include "engine/torch_compat.h"

namespace kvchain {

struct ShapeStableSteps::StepForm {
  std::vector<const void*> storage;
  int64_t capacity = 0, rows = 0;
  torch::Tensor token, embeds, positions, slots, last_row, mask, logits, next;
  // A decode step's columns the mask shows (1) or hides (0), every later column hidden; empty
  // when unknown.
  std::vector<uint8_t> visible;
  std::unique_ptr<CudaGraph> graph;
};

namespace {

// A prefill's additive mask [1,1,rows,capacity], made where `options` say (the form mask's
// device and type): row i sees the cache and the new rows up to itself, and the first R rows
// what `given` (boolean, [1,1,R,past+R]) lets them. Rows padding the prefill see the same, which
// keeps their softmax finite; nothing reads what they give. Not on the host for a GPU model:
// there libtorch spreads ops over a long cache's columns across OpenMP threads, which can stall
// a prefill far beyond its own time (bench/HISTORY.md, "The regression at 8,000 tokens,
// explained and fixed").
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
  // 16-bit logits rounded once more differ by about 2e-3 of their norm; replays of the
  // Llama-3-8B shape's 16-bit steps (random weights) come up to 2.1e-2 away from their warm-ups,
  // about 2.4x below the tolerance (bench/README.md, "CUDA-graph replays"); a stale input or a
  // wrong slot gives differences of order one.
  const double tolerance = model_dtype == torch::kFloat32 ? 1e-3 : 5e-2;
  const double difference = logits_difference(eager, replayed);
  if (!(difference <= tolerance)) {
    throw Error("the recorded CUDA graph's logits differ from the eager step's by " +
                std::to_string(difference) + " of their norm (at most " +
                std::to_string(tolerance) + " expected)");
  }
  return difference;
}

ShapeStableSteps::ShapeStableSteps(LlamaForCausalLM& model) : model_(model) {}
ShapeStableSteps::~ShapeStableSteps() = default;

const torch::Tensor& ShapeStableSteps::last_logits() const {
  if (forms_kept_.empty()) throw Error("decode step: no step has run yet");
  return forms_kept_.back()->logits;
}

int64_t ShapeStableSteps::prefill_rows(int64_t tokens) {
  if (tokens > kMaxPrefillRows) return tokens;
  int64_t rows = kMinPrefillRows;
  while (rows < tokens) rows *= 2;
  return rows;
}

ShapeStableSteps::StepForm& ShapeStableSteps::form_for(const KVCache& cache, int64_t rows,
                                                       bool by_embedding) {
  const auto storage = cache.storage();
  for (size_t i = 0; i < forms_kept_.size(); ++i) {
    const auto& f = *forms_kept_[i];
    if (f.storage == storage && f.capacity == cache.capacity() && f.rows == rows &&
        f.embeds.defined() == by_embedding) {
      std::rotate(forms_kept_.begin() + i, forms_kept_.begin() + i + 1, forms_kept_.end());
      return *forms_kept_.back();
    }
  }
  ++forms_;
  if (forms_kept_.size() == kKept) forms_kept_.erase(forms_kept_.begin());
  auto form = std::make_unique<StepForm>();
  form->storage = storage;
  form->capacity = cache.capacity();
  form->rows = rows;
  const auto ids = torch::TensorOptions().dtype(torch::kInt64).device(model_.device());
  form->token = torch::zeros({1, 1}, ids);
  form->positions = torch::zeros({1, rows}, ids);
  form->slots = torch::zeros({rows}, ids);
  form->last_row = torch::zeros({1}, ids);
  // Additive and in the model's dtype already, so the recorded step has no kernels to convert it.
  form->mask = torch::zeros({1, 1, rows, cache.capacity()}, ids.dtype(model_.dtype()));
  if (by_embedding) {
    form->embeds = torch::zeros({1, rows, model_.config().hidden_size}, ids.dtype(model_.dtype()));
  }
  forms_kept_.push_back(std::move(form));
  return *forms_kept_.back();
}

void ShapeStableSteps::compute(StepForm& form, KVCache& cache) {
  ForwardArgs args;
  if (form.embeds.defined()) {
    args.inputs_embeds = form.embeds;
  } else {
    args.input_ids = form.token;
  }
  args.position_ids = form.positions;
  args.attention_mask = form.mask;
  args.cache = &cache;
  args.cache_slots = form.slots;
  args.last_logits_only = form.rows == 1;
  auto logits = model_.forward(args).logits[0];
  form.logits = (form.rows == 1 ? logits : logits.index_select(0, form.last_row)).view({-1});
  form.next = kernels::argmax_supports(form.logits) ? kernels::argmax(form.logits)
                                                    : form.logits.argmax().view({1});
}

int64_t ShapeStableSteps::step(StepForm& form, KVCache& cache) {
  torch::Tensor eager;  // a recording's warm-up logits, which its first replay must repeat
  if (model_.device().is_cuda() && CudaGraph::available()) {
    if (!form.graph) {
      form.graph = std::make_unique<CudaGraph>();
      form.graph->capture([&] {
        compute(form, cache);
        if (!eager.defined()) eager = form.logits.clone();
      });
    }
    form.graph->replay();
    ++replayed_;
  } else {
    compute(form, cache);
  }
  if (eager.defined()) {
    try {
      largest_replay_difference_ =
          std::max(largest_replay_difference_, check_replay(eager, form.logits, model_.dtype()));
    } catch (const Error& e) {
      throw Error((form.embeds.defined()
                       ? "prefill padded to " + std::to_string(form.rows) + " rows: "
                       : std::string("decode step: ")) +
                  e.what());
    }
  }
  return form.next.item<int64_t>();
}

bool ShapeStableSteps::shape_stable(const ForwardArgs& prefill) {
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

int64_t ShapeStableSteps::prefill(const ForwardArgs& prefill) {
  torch::NoGradGuard no_grad;
  KVCache& cache = *prefill.cache;
  const auto& input = prefill.input_ids.defined() ? prefill.input_ids : prefill.inputs_embeds;
  const int64_t tokens = input.size(1), rows = prefill_rows(tokens);
  const auto& mask = prefill.attention_mask;
  const bool stable = shape_stable(prefill);
  // A static cache sized for the tokens alone has no room for the padding rows.
  if (stable) cache.reserve(cache.size() + rows);
  if (!stable || cache.capacity() < cache.size() + rows) {
    ForwardArgs args = prefill;
    args.last_logits_only = true;
    return model_.forward(args).logits[0][-1].argmax().item<int64_t>();
  }
  auto& form = form_for(cache, rows, true);
  const auto embeds =
      prefill.inputs_embeds.defined() ? prefill.inputs_embeds : model_.embed(prefill.input_ids);
  form.embeds.narrow(1, 0, tokens).copy_(embeds);
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
  form.positions.copy_(torch::tensor(padded, torch::kInt64).view({1, rows}));
  form.slots.copy_(torch::tensor(slots, torch::kInt64));
  form.last_row.fill_(tokens - 1);
  form.mask.copy_(prefill_mask(mask, past, rows, cache.capacity(), form.mask.options()));
  const int64_t next = step(form, cache);
  if (prefill.tag_spans.empty()) {
    cache.commit(positions, prefill.tag);
  } else {
    cache.commit(positions, prefill.tag_spans);
  }
  return next;
}

int64_t ShapeStableSteps::decode(KVCache& cache, int64_t token, const torch::Tensor& mask,
                                 const SegmentTag& tag) {
  if (mask.defined() && mask.scalar_type() != torch::kBool) {
    throw Error("decode step: the attention mask must be boolean");
  }
  torch::NoGradGuard no_grad;
  if (cache.size() >= cache.capacity()) cache.reserve(cache.size() + 1);
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
  auto& form = form_for(cache, 1, false);
  form.token.fill_(token);
  form.positions.fill_(position);
  form.slots.fill_(cache.size());
  set_decode_mask(form, std::move(visible));
  const int64_t next = step(form, cache);
  cache.commit({position}, tag);
  return next;
}

void ShapeStableSteps::set_decode_mask(StepForm& form, std::vector<uint8_t> visible) {
  // Empty flags mean nothing is known of the mask (a new form's, or one a throwing rebuild left):
  // it is rebuilt.
  const auto shown = static_cast<int64_t>(form.visible.size());
  if (shown > 0 && shown + 1 == static_cast<int64_t>(visible.size()) &&
      std::equal(form.visible.begin(), form.visible.end(), visible.begin())) {
    // The last step's columns and the new token's: one column changes.
    if (visible.back() != 0) form.mask.narrow(3, shown, 1).zero_();
  } else {
    form.visible.clear();
    const auto columns = static_cast<int64_t>(visible.size());
    auto given = torch::empty({columns}, torch::kBool);
    std::copy(visible.begin(), visible.end(), given.data_ptr<bool>());
    form.mask.fill_(-std::numeric_limits<float>::infinity());
    form.mask.narrow(3, 0, columns)
        .copy_(additive_mask(given, form.mask.options()).view({1, 1, 1, columns}));
  }
  form.visible = std::move(visible);
}

}  // namespace kvchain
