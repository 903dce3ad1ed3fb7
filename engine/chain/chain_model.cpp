#include "engine/chain/chain_model.h"

#include "engine/chain/visibility.h"
#include "engine/io/error.h"

namespace kvchain {
namespace {

std::string describe(const SegmentTag& tag) {
  return std::string(segment_role_name(tag.role)) + (tag.member.empty() ? "" : " of " + tag.member);
}

}  // namespace

LayoutPart LayoutPart::prompt(const std::string& member) {
  return {{member, SegmentRole::kPrompt}, {}, -1, false};
}

LayoutPart LayoutPart::tokens(SegmentTag tag, std::vector<int64_t> ids) {
  return {std::move(tag), std::move(ids), -1, false};
}

LayoutPart LayoutPart::output(const std::string& member, std::vector<int64_t> ids,
                              int64_t terminator, bool loss) {
  return {{member, SegmentRole::kOutput}, std::move(ids), terminator, loss};
}

ChainModel::ChainModel(std::shared_ptr<LlamaForCausalLM> base) : base_(std::move(base)) {}

void ChainModel::set_adapter(const std::string& member, std::shared_ptr<Adapter> adapter) {
  adapters_[member] = std::move(adapter);
}

Adapter& ChainModel::adapter(const std::string& member) {
  const auto found = adapters_.find(member);
  if (found == adapters_.end()) throw Error("chain member '" + member + "' has no adapter");
  return *found->second;
}

PartsLayout ChainModel::lay_out(const std::vector<Segment>& segments, int64_t filled,
                                int64_t position, const std::vector<LayoutPart>& parts) {
  PartsLayout layout;
  layout.chain = segments;
  layout.first_new = segments.size();
  std::vector<int64_t> part_positions;
  int64_t slot = filled;
  for (const auto& part : parts) {
    part_positions.push_back(position);
    if (part.tag.role == SegmentRole::kPrompt) {
      if (!part.ids.empty()) throw Error("a prompt part takes its tokens from the adapter");
      auto& prompt = adapter(part.tag.member);
      if (prompt.deep()) {
        PartsLayout::DeepPrompt deep;
        deep.slot = slot;
        deep.tag = part.tag;
        for (int64_t j = 0; j < prompt.size(); ++j) deep.positions.push_back(position + j);
        std::tie(deep.keys, deep.values) = prompt.prefix_kv();
        slot += prompt.size();
        layout.deep.push_back(std::move(deep));
      }
      position += prompt.size();
    } else {
      if (part.ids.empty()) throw Error("layout part (" + describe(part.tag) + ") has no tokens");
      position += static_cast<int64_t>(part.ids.size());
    }
  }

  layout.token_slot = slot;
  std::vector<torch::Tensor> pieces;
  size_t deep_index = 0;
  int64_t offset = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    const bool prompt = part.tag.role == SegmentRole::kPrompt;
    if (prompt && adapter(part.tag.member).deep()) {
      const auto& deep = layout.deep[deep_index++];
      const auto n = static_cast<int64_t>(deep.positions.size());
      layout.chain.push_back({part.tag, deep.slot, deep.slot + n});
      layout.sequence_offset.push_back(-1);
      continue;
    }
    const auto embeddings = prompt
                                ? adapter(part.tag.member).table().unsqueeze(0).to(base_->dtype())
                                : base_->embed(torch::tensor(part.ids, torch::kInt64).unsqueeze(0));
    const int64_t length = embeddings.size(1);
    pieces.push_back(embeddings);
    for (int64_t j = 0; j < length; ++j) layout.positions.push_back(part_positions[i] + j);
    layout.chain.push_back({part.tag, slot + offset, slot + offset + length});
    layout.tag_spans.push_back({part.tag, length});
    layout.sequence_offset.push_back(offset);
    offset += length;
  }
  if (pieces.empty()) throw Error("a layout needs at least one part with tokens");
  layout.embeddings = pieces.size() == 1 ? pieces[0] : torch::cat(pieces, 1);
  return layout;
}

ChainModel::Prepared ChainModel::prepare(KVCache& cache, const std::vector<LayoutPart>& parts) {
  auto layout = lay_out(cache.segments(), cache.size(), cache.next_position(), parts);
  // Deep prompts enter the cache directly, ahead of the tokens of this pass.
  for (const auto& deep : layout.deep)
    cache.append(deep.keys, deep.values, deep.positions, deep.tag);
  Prepared prepared;
  auto& args = prepared.args;
  args.inputs_embeds = layout.embeddings;
  args.position_ids = torch::tensor(layout.positions, torch::kInt64).unsqueeze(0);
  args.tag_spans = layout.tag_spans;
  prepared.sequence_offset = layout.sequence_offset;
  // Only the tokens before the causal rest need a mask: the rest keeps the causal kernels
  // (compat::layer_mask extends the mask where libtorch has none).
  const auto& chain = layout.chain;
  const int64_t start = layout.token_slot;
  const size_t from = causal_from(chain, layout.first_new);
  const int64_t masked =
      from == chain.size() ? layout.tokens() : std::max<int64_t>(chain[from].begin - start, 0);
  if (masked > 0) {
    args.attention_mask = build_attention_mask(chain, start, start + masked, start + masked);
  }
  args.cache = &cache;
  return prepared;
}

std::vector<int64_t> output_labels(const std::vector<LayoutPart>& parts,
                                   const std::vector<int64_t>& sequence_offset, int64_t length) {
  std::vector<int64_t> labels(length, kIgnoreLabel);
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    if (!part.loss) continue;
    const int64_t offset = sequence_offset[i];
    const bool follows_own_tokens = i > 0 && sequence_offset[i - 1] >= 0 &&
                                    parts[i - 1].tag.member == part.tag.member &&
                                    parts[i - 1].tag.role != SegmentRole::kPrompt;
    if (!follows_own_tokens) {
      // The first output token is predicted at the last token before it, which must be the
      // member's own (at inference that is where its decoding starts).
      throw Error("layout: the " + describe(part.tag) + " must directly follow an input of " +
                  part.tag.member);
    }
    const auto n = static_cast<int64_t>(part.ids.size());
    for (int64_t j = 0; j < n; ++j) labels[offset - 1 + j] = part.ids[j];
    labels[offset + n - 1] = part.terminator >= 0 ? part.terminator : kIgnoreLabel;
  }
  return labels;
}

LayoutResult ChainModel::run(KVCache& cache, const std::vector<LayoutPart>& parts,
                             bool last_logits_only) {
  auto prepared = prepare(cache, parts);
  prepared.args.last_logits_only = last_logits_only;
  const int64_t length = prepared.args.inputs_embeds.size(1);
  LayoutResult result;
  result.prefilled = length;
  result.logits = base_->forward(prepared.args).logits;
  if (last_logits_only) return result;

  const auto labels = output_labels(parts, prepared.sequence_offset, length);
  auto label_tensor = torch::tensor(labels, torch::kInt64).to(result.logits.device());
  result.loss_tokens = (label_tensor != kIgnoreLabel).sum().item<int64_t>();
  if (result.loss_tokens > 0) {
    result.loss = torch::nn::functional::cross_entropy(
        result.logits[0], label_tensor,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel));
  }
  return result;
}

torch::Tensor ChainModel::append_mask(const KVCache& cache, const SegmentTag& tag, int64_t tokens) {
  if (sees_everything(cache.segments(), tag)) return {};
  auto chain = cache.segments();
  chain.push_back({tag, cache.size(), cache.size() + tokens});
  return build_attention_mask(chain, cache.size(), cache.size() + tokens, cache.size() + tokens);
}

GenerationResult ChainModel::generate(KVCache& cache, const std::vector<LayoutPart>& parts,
                                      const std::string& member, GenerationOptions options,
                                      const Tokenizer* tokenizer, int64_t* prefilled) {
  torch::NoGradGuard no_grad;
  auto prepared = prepare(cache, parts);
  if (prefilled != nullptr) *prefilled = prepared.args.inputs_embeds.size(1);
  const SegmentTag output_tag{member, SegmentRole::kOutput};
  options.step_mask = [output_tag](const KVCache& c) { return append_mask(c, output_tag, 1); };
  return generate_greedy(*base_, cache, prepared.args, options, tokenizer, output_tag);
}

}  // namespace kvchain
