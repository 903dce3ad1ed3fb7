#pragma once

#include <vector>

#include "engine/chain/chain_model.h"

namespace kvchain {

// One training sequence: its parts, appended after a stored cache (offline FTHSS: the frozen
// earlier members' cache, whose segments and positions it continues) or from an empty one.
struct LossExample {
  const std::vector<LayoutPart>* parts = nullptr;
  const KVCache* stored = nullptr;
};

// Each example's loss (the mean cross-entropy over its labels, as ChainModel::run gives it) and
// label count, from one forward over the examples as padded rows (engine/chain/padded_batch.h;
// one member's sequences from empty caches, plain causal, right-padded with no mask): the same
// losses and gradients as one example at a time, up to floating-point rounding. Only the
// labelled positions go through the vocabulary projection, so the results carry no logits. An
// example with no labels has an undefined loss.
std::vector<LayoutResult> batch_losses(ChainModel& chain, const std::vector<LossExample>& examples);

}  // namespace kvchain
