#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/adapters/adapter.h"
#include "engine/generation/greedy.h"
#include "engine/model/llama_model.h"

namespace kvchain {

// One span of a chain sequence: a member's prompt (its adapter supplies the virtual tokens), or
// tokens of shared content, a member's input or a member's output.
struct LayoutPart {
  SegmentTag tag;
  std::vector<int64_t> ids;  // empty for a prompt part
  // Output parts: the id that follows the last token (EOS). It is a training label only, never
  // an input, because at inference the token that ends a member's output is not cached.
  int64_t terminator = -1;
  bool loss = false;  // train on this output part

  static LayoutPart prompt(const std::string& member);
  static LayoutPart tokens(SegmentTag tag, std::vector<int64_t> ids);
  static LayoutPart output(const std::string& member, std::vector<int64_t> ids, int64_t terminator,
                           bool loss);
};

struct LayoutResult {
  torch::Tensor logits;     // [1, T|1, V] for the token slots appended
  torch::Tensor loss;       // mean cross-entropy over the loss parts (undefined without any)
  int64_t loss_tokens = 0;  // labels that loss averages over
  int64_t prefilled = 0;    // tokens that went through the model (shallow prompts included)
};

// Where `parts` go when appended after a sequence's filled slots: deep prompts first, stored
// directly at the slots after the filled ones, then every other part's tokens in one run, each
// part taking the next position ids in chain order.
struct PartsLayout {
  struct DeepPrompt {
    int64_t slot = 0;
    std::vector<int64_t> positions;
    SegmentTag tag;
    std::vector<torch::Tensor> keys, values;  // [1, kv_heads, n, head_dim] per layer
  };
  std::vector<DeepPrompt> deep;
  torch::Tensor embeddings;        // [1, T, C] for the token run, in the model's dtype
  std::vector<int64_t> positions;  // T position ids
  std::vector<TagSpan> tag_spans;  // the run's parts
  int64_t token_slot = 0;          // the slot of the run's first token
  // The filled slots' segments, then the new ones in part order; the first new one's index.
  std::vector<Segment> chain;
  size_t first_new = 0;
  std::vector<int64_t> sequence_offset;  // per part: offset in the token run, or -1 (deep)
  int64_t tokens() const { return static_cast<int64_t>(positions.size()); }
};

// The label of every token of a layout's token run: each output part marked for loss is
// predicted from the token before it (which must be its member's own input or output, where
// decoding starts at inference) and then its terminator; every other token gets kIgnoreLabel.
inline constexpr int64_t kIgnoreLabel = -100;
std::vector<int64_t> output_labels(const std::vector<LayoutPart>& parts,
                                   const std::vector<int64_t>& sequence_offset, int64_t length);

// The frozen base model plus each chain member's adapter. It appends layout parts to a KV cache
// in one forward pass under the FTHSS visibility rule (engine/chain/visibility.h), so the same
// code runs a whole training sequence, the offline variant on a stored cache, and inference.
class ChainModel {
 public:
  explicit ChainModel(std::shared_ptr<LlamaForCausalLM> base);

  LlamaForCausalLM& base() { return *base_; }
  void set_adapter(const std::string& member, std::shared_ptr<Adapter> adapter);
  bool has_adapter(const std::string& member) const { return adapters_.count(member) > 0; }
  Adapter& adapter(const std::string& member);

  // Appends `parts` (chain order) to `cache`; position ids continue from the cache's. Deep
  // prompts go straight into the cache; every other part goes through one forward pass.
  LayoutResult run(KVCache& cache, const std::vector<LayoutPart>& parts,
                   bool last_logits_only = false);
  // Prefills `parts` and decodes greedily as `member`'s output, masking what it must not see.
  GenerationResult generate(KVCache& cache, const std::vector<LayoutPart>& parts,
                            const std::string& member, GenerationOptions options,
                            const Tokenizer* tokenizer, int64_t* prefilled = nullptr);
  // Lays out `parts` after a sequence of `filled` slots whose segments are `segments` and whose
  // next position id is `position` (a cache's, or one row's of a batch).
  PartsLayout lay_out(const std::vector<Segment>& segments, int64_t filled, int64_t position,
                      const std::vector<LayoutPart>& parts);
  // The mask for appending `tokens` tokens tagged `tag` to `cache`; undefined when plain causal
  // attention is already exact.
  static torch::Tensor append_mask(const KVCache& cache, const SegmentTag& tag, int64_t tokens);

 private:
  struct Prepared {
    ForwardArgs args;
    std::vector<int64_t> sequence_offset;  // per part: offset in the token sequence, or -1
  };
  Prepared prepare(KVCache& cache, const std::vector<LayoutPart>& parts);

  std::shared_ptr<LlamaForCausalLM> base_;
  std::map<std::string, std::shared_ptr<Adapter>> adapters_;
};

}  // namespace kvchain
