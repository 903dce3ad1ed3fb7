#pragma once

#include <torch/torch.h>

#include <vector>

#include "engine/model/kv_cache.h"

namespace kvchain {

// What a query token may see of a span of keys: all of it, the part up to itself, or nothing.
enum class Visibility { kNone, kFull, kCausal };

// The FTHSS visibility rule, for a query in segment `query` and a key segment `key` that comes
// earlier in the chain (a token sees its own segment causally and never a later one):
//
//   key segment is                      | visible?
//   ------------------------------------|---------
//   shared content                      | full
//   the query's own member (any role)   | full
//   another member's output             | full
//   another member's prompt or input    | none
//
// So A's part of a training sequence sees only A's context and its keys/values equal what A
// produces alone; B sees shared, y_A, P_B and x_B, never P_A or x_A; in a multi-round cascade
// every output sees its own prompt, the shared input and all earlier outputs. A chain of one
// member (standard prompt tuning, the text chain, distill) is plain causal attention.
Visibility visibility(const SegmentTag& query, const SegmentTag& key);

// The boolean mask (true = may attend) [query_end - query_begin, total] for the query slots
// [query_begin, query_end) over `total` key slots. `segments` are in chain order; their slot
// ranges may lie anywhere (e.g. deep prompts placed in the cache ahead of the tokens), and the
// query slots must be covered by them.
torch::Tensor build_attention_mask(const std::vector<Segment>& segments, int64_t query_begin,
                                   int64_t query_end, int64_t total);

// True when a token tagged `tag` appended after `earlier` would see all of it: then the model's
// default causal attention is exact and no mask need be built.
bool sees_everything(const std::vector<Segment>& earlier, const SegmentTag& tag);

// The index of the first segment of `chain` (at or after `first_new`) from which plain causal
// attention equals the rule: from there on the slot order is the chain order and each segment may
// see everything before it. chain.size() when there is none. A forward masks only the tokens
// before it (e.g. the text chain's shared question, which may not see the deep prompt ahead of it
// in the cache), and the causal rest keeps the fused causal kernels.
size_t causal_from(const std::vector<Segment>& chain, size_t first_new);

}  // namespace kvchain
