#pragma once

#include <torch/torch.h>

#include <vector>

#include "engine/chain/chain_model.h"

namespace kvchain {

// Rows of different lengths as one forward at per-row cache slots (KVCache's [B, T] named
// slots). Each row's token run (a PartsLayout) is left-padded to the longest, so that every
// row's last token ends the batch; a pad is written at a slot after its row's own tokens (where
// nothing of the row is yet) and sees only itself, so it changes no row's result. The rows'
// deep prompts are the caller's to place.
struct PaddedBatch {
  torch::Tensor embeddings;    // [B, T, C]; autograd flows from the rows' embeddings
  torch::Tensor position_ids;  // int64 [B, T], on the embeddings' device
  torch::Tensor cache_slots;   // int64 [B, T], on the embeddings' device
  torch::Tensor mask;          // bool [B, 1, T, capacity], on the embeddings' device
  std::vector<int64_t> pads;   // per row: its pads, before its tokens
  int64_t longest = 0;         // T
  // The slots a cache needs so that each row's pads fit: the most of token_slot + T.
  static int64_t slots_needed(const std::vector<PartsLayout>& rows);
};

// The rows as one batch over a cache of `capacity` slots (at least slots_needed(rows)).
PaddedBatch pad_rows(const std::vector<PartsLayout>& rows, int64_t capacity);

// ForwardArgs for the batch on `cache` (whose batch is the rows').
ForwardArgs batch_forward_args(const PaddedBatch& batch, KVCache& cache, bool last_logits_only);

}  // namespace kvchain
