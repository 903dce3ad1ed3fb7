#include "engine/chain/padded_batch.h"

#include <algorithm>

#include "engine/chain/visibility.h"
#include "engine/io/error.h"

namespace kvchain {

int64_t PaddedBatch::slots_needed(const std::vector<PartsLayout>& rows) {
  int64_t longest = 0, needed = 0;
  for (const auto& row : rows) longest = std::max(longest, row.tokens());
  for (const auto& row : rows) needed = std::max(needed, row.token_slot + longest);
  return needed;
}

PaddedBatch pad_rows(const std::vector<PartsLayout>& rows, int64_t capacity) {
  if (rows.empty()) throw Error("pad_rows: no rows");
  if (PaddedBatch::slots_needed(rows) > capacity) {
    throw Error("pad_rows: the rows need " + std::to_string(PaddedBatch::slots_needed(rows)) +
                " slots, the cache has " + std::to_string(capacity));
  }
  PaddedBatch batch;
  for (const auto& row : rows) batch.longest = std::max(batch.longest, row.tokens());
  const auto k = static_cast<int64_t>(rows.size());
  const int64_t longest = batch.longest;
  auto positions = torch::zeros({k, longest}, torch::kInt64);
  auto slots = torch::zeros({k, longest}, torch::kInt64);
  auto mask = torch::zeros({k, longest, capacity}, torch::kBool);
  auto pos = positions.accessor<int64_t, 2>();
  auto slot = slots.accessor<int64_t, 2>();
  auto sees = mask.accessor<bool, 3>();
  std::vector<torch::Tensor> embeddings;
  for (int64_t i = 0; i < k; ++i) {
    const auto& row = rows[i];
    const int64_t n = row.tokens(), pad = longest - n, first = row.token_slot;
    batch.pads.push_back(pad);
    const auto& own = row.embeddings[0];
    embeddings.push_back(pad == 0 ? own : torch::cat({own.new_zeros({pad, own.size(1)}), own}));
    for (int64_t j = 0; j < pad; ++j) {
      slot[i][j] = first + n + j;
      sees[i][j][first + n + j] = true;
    }
    for (int64_t j = 0; j < n; ++j) {
      pos[i][pad + j] = row.positions[j];
      slot[i][pad + j] = first + j;
    }
    mask[i]
        .narrow(0, pad, n)
        .narrow(1, 0, first + n)
        .copy_(
            build_attention_mask(row.chain, first, first + n, first + n).reshape({n, first + n}));
  }
  batch.embeddings = torch::stack(embeddings);
  const auto device = batch.embeddings.device();
  batch.position_ids = positions.to(device);
  batch.cache_slots = slots.to(device);
  batch.mask = mask.unsqueeze(1).to(device);
  return batch;
}

ForwardArgs batch_forward_args(const PaddedBatch& batch, KVCache& cache, bool last_logits_only) {
  ForwardArgs args;
  args.inputs_embeds = batch.embeddings;
  args.position_ids = batch.position_ids;
  args.attention_mask = batch.mask;
  args.cache = &cache;
  args.cache_slots = batch.cache_slots;
  args.last_logits_only = last_logits_only;
  return args;
}

}  // namespace kvchain
