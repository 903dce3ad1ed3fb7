#include "engine/chain/batch_loss.h"

#include "engine/chain/padded_batch.h"
#include "engine/io/error.h"

namespace kvchain {

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
  const auto logits = base.forward(batch_forward_args(batch, cache, false)).logits;

  auto labels = torch::full({k, batch.longest}, kIgnoreLabel, torch::kInt64);
  for (int64_t i = 0; i < k; ++i) {
    const auto& layout = layouts[i];
    const auto own = output_labels(*examples[i].parts, layout.sequence_offset, layout.tokens());
    labels[i].narrow(0, batch.pads[i], layout.tokens()).copy_(torch::tensor(own, torch::kInt64));
  }
  labels = labels.to(logits.device());
  const auto token_losses = torch::nn::functional::cross_entropy(
                                logits.reshape({-1, logits.size(-1)}), labels.reshape({-1}),
                                torch::nn::functional::CrossEntropyFuncOptions()
                                    .ignore_index(kIgnoreLabel)
                                    .reduction(torch::kNone))
                                .view({k, batch.longest});
  const auto counts = (labels != kIgnoreLabel).sum(1).to(torch::kCPU);
  std::vector<LayoutResult> results(k);
  for (int64_t i = 0; i < k; ++i) {
    auto& result = results[i];
    result.prefilled = layouts[i].tokens();
    result.loss_tokens = counts[i].item<int64_t>();
    if (result.loss_tokens > 0) {
      result.loss = token_losses[i].sum() / static_cast<double>(result.loss_tokens);
    }
  }
  return results;
}

}  // namespace kvchain
