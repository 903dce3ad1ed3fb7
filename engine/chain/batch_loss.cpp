#include "engine/chain/batch_loss.h"

#include <algorithm>

#include "engine/chain/padded_batch.h"
#include "engine/chain/visibility.h"
#include "engine/io/error.h"

namespace kvchain {

namespace {

// Each row's mean loss over its labels, from the final-norm hidden states [B, T, C] and labels
// [B, T]: only the labelled positions go through the vocabulary projection (a member's answer
// is a few dozen of a sequence's positions; the whole sequence's logits would be its largest
// tensor).
std::vector<LayoutResult> row_losses(LlamaForCausalLM& base, const torch::Tensor& hidden,
                                     torch::Tensor labels,
                                     const std::vector<PartsLayout>& layouts) {
  const auto k = hidden.size(0), t = hidden.size(1);
  labels = labels.to(hidden.device()).reshape({-1});
  const auto labelled = (labels != kIgnoreLabel).nonzero().reshape({-1});
  const auto logits = base.logits_of(hidden.reshape({k * t, -1}).index_select(0, labelled));
  const auto token_losses = torch::nn::functional::cross_entropy(
      logits, labels.index_select(0, labelled),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  const auto sums = token_losses.new_zeros({k}).index_add(
      0, torch::div(labelled, t, /*rounding_mode=*/"floor"), token_losses);
  const auto counts = (labels.view({k, t}) != kIgnoreLabel).sum(1).to(torch::kCPU);
  std::vector<LayoutResult> results(k);
  for (int64_t i = 0; i < k; ++i) {
    auto& result = results[i];
    result.prefilled = layouts[i].tokens();
    result.loss_tokens = counts[i].item<int64_t>();
    if (result.loss_tokens > 0) result.loss = sums[i] / static_cast<double>(result.loss_tokens);
  }
  return results;
}

// Plain causal rows, right-padded, in one forward with no cache and no mask.
std::vector<LayoutResult> causal_losses(LlamaForCausalLM& base,
                                        const std::vector<LossExample>& examples,
                                        const std::vector<PartsLayout>& layouts) {
  const auto k = static_cast<int64_t>(examples.size());
  int64_t longest = 0;
  for (const auto& layout : layouts) longest = std::max(longest, layout.tokens());
  std::vector<torch::Tensor> rows;
  auto positions = torch::zeros({k, longest}, torch::kInt64);
  auto labels = torch::full({k, longest}, kIgnoreLabel, torch::kInt64);
  for (int64_t i = 0; i < k; ++i) {
    const auto& layout = layouts[i];
    const int64_t n = layout.tokens();
    const auto& own = layout.embeddings[0];
    rows.push_back(n == longest ? own
                                : torch::cat({own, own.new_zeros({longest - n, own.size(1)})}));
    positions[i].narrow(0, 0, n).copy_(torch::tensor(layout.positions, torch::kInt64));
    const auto own_labels = output_labels(*examples[i].parts, layout.sequence_offset, n);
    labels[i].narrow(0, 0, n).copy_(torch::tensor(own_labels, torch::kInt64));
  }
  ForwardArgs args;
  args.inputs_embeds = torch::stack(rows);
  args.position_ids = positions;
  args.hidden_only = true;
  return row_losses(base, base.forward(args).hidden_states, labels, layouts);
}

}  // namespace

std::vector<LayoutResult> batch_losses(ChainModel& chain,
                                       const std::vector<LossExample>& examples) {
  if (examples.empty()) throw Error("batch_losses: no examples");
  auto& base = chain.base();
  std::vector<PartsLayout> layouts;
  for (const auto& example : examples) {
    const auto* stored = example.stored;
    layouts.push_back(stored != nullptr ? chain.lay_out(stored->segments(), stored->size(),
                                                        stored->next_position(), *example.parts)
                                        : chain.lay_out({}, 0, 0, *example.parts));
  }
  const auto k = static_cast<int64_t>(examples.size());
  // Sequences of one member from an empty cache (standard prompt tuning, distill, the single
  // model) are plain causal: right-padded, with no cache and no mask, they keep the causal
  // kernels. The pads follow every row's tokens, so no row's token sees them.
  const bool causal = std::all_of(examples.begin(), examples.end(),
                                  [](const LossExample& e) { return e.stored == nullptr; }) &&
                      std::all_of(layouts.begin(), layouts.end(), [](const PartsLayout& layout) {
                        return layout.deep.empty() && causal_from(layout.chain, 0) == 0;
                      });
  if (causal) return causal_losses(base, examples, layouts);
  auto cache = base.make_cache(k, PaddedBatch::slots_needed(layouts));
  for (int64_t i = 0; i < k; ++i) {
    const auto* stored = examples[i].stored;
    if (stored != nullptr && stored->size() > 0) {
      std::vector<torch::Tensor> keys, values;
      for (int64_t layer = 0; layer < stored->num_layers(); ++layer) {
        keys.push_back(stored->keys(layer));
        values.push_back(stored->values(layer));
      }
      cache.place(i, 0, keys, values);
    }
    for (const auto& deep : layouts[i].deep) cache.place(i, deep.slot, deep.keys, deep.values);
  }
  const auto batch = pad_rows(layouts, cache.capacity());
  auto args = batch_forward_args(batch, cache, false);
  args.hidden_only = true;
  const auto hidden = base.forward(args).hidden_states;

  auto labels = torch::full({k, batch.longest}, kIgnoreLabel, torch::kInt64);
  for (int64_t i = 0; i < k; ++i) {
    const auto& layout = layouts[i];
    const auto own = output_labels(*examples[i].parts, layout.sequence_offset, layout.tokens());
    labels[i].narrow(0, batch.pads[i], layout.tokens()).copy_(torch::tensor(own, torch::kInt64));
  }
  return row_losses(base, hidden, labels, layouts);
}

}  // namespace kvchain
