#include "engine/chain/chain_runner.h"

#include <chrono>
#include <map>
#include <set>

#include "engine/chain/turn_parts.h"
#include "engine/io/error.h"

namespace kvchain {

const char* chain_mode_name(ChainMode mode) {
  return mode == ChainMode::kText ? "text" : "shared";
}

Json TurnRecord::to_json() const {
  return {{"member", member},
          {"text", text},
          {"prefilled", prefilled},
          {"decoded", decoded},
          {"prefill_s", prefill_seconds},
          {"decode_s", decode_seconds},
          {"kv_bytes_resident", kv_bytes_resident},
          {"kv_bytes_peak", kv_bytes_peak},
          {"kv_bytes_allocated", kv_bytes_allocated},
          {"evicted_slots", evicted_slots}};
}

ChainRunner::ChainRunner(ChainModel& model, const Tokenizer* tokenizer, RunnerOptions options)
    : model_(model), tokenizer_(tokenizer), options_(options), steps_(model.base()) {}

std::vector<TurnRecord> ChainRunner::run(
    const std::vector<int64_t>& shared,
    const std::function<std::optional<TurnPlan>(const std::vector<TurnRecord>&)>& next_turn) {
  torch::NoGradGuard no_grad;
  std::vector<TurnRecord> turns;
  // Text mode keeps each member's latest cache, as separate models in a pipeline would (a
  // member's next turn refills its cache from the start).
  std::map<std::string, KVCache> member_caches;
  std::optional<KVCache> shared_cache;
  std::set<std::string> prompted;  // members whose prompt is in the shared cache
  int64_t peak = 0;
  const auto resident = [&](bool allocated) {
    const auto bytes_of = [&](const KVCache& c) {
      return allocated ? c.bytes_reserved() : c.bytes_used();
    };
    int64_t bytes = shared_cache ? bytes_of(*shared_cache) : 0;
    for (const auto& [member, cache] : member_caches) bytes += bytes_of(cache);
    return bytes;
  };

  GenerationOptions generation;
  generation.steps = &steps_;
  if (options_.eos_token_id >= 0) generation.eos_token_ids = {options_.eos_token_id};
  while (auto plan = next_turn(turns)) {
    auto parts = turn_parts(model_, options_, *plan, shared, !shared_cache, prompted);
    KVCache* cache = nullptr;
    if (options_.mode == ChainMode::kText) {
      auto found = member_caches.find(plan->member);
      if (found == member_caches.end()) {
        found = member_caches.emplace(plan->member, take_cache(plan->member)).first;
      } else {
        found->second.truncate(0);
      }
      cache = &found->second;
    } else {
      if (!shared_cache) shared_cache.emplace(take_cache(""));
      cache = &*shared_cache;
    }
    // The turn's slots are allocated once, before it: prompts, tokens, the rows a short prefill
    // is padded to and its whole output.
    const auto need = turn_slots(model_, parts, *plan);
    const int64_t slots =
        (plan->forced_output.empty() ? ShapeStableSteps::prefill_rows(need.tokens) : need.tokens) +
        need.output;
    cache->reserve(cache->size() + need.deep + slots);
    TurnRecord record;
    record.member = plan->member;
    if (!plan->forced_output.empty()) {
      parts.push_back(LayoutPart::output(plan->member, plan->forced_output, -1, false));
      const auto start = std::chrono::steady_clock::now();
      const auto result = model_.run(*cache, parts, /*last_logits_only=*/true);
      record.prefilled = result.prefilled;
      result.logits.max().item<float>();  // waits for the device, as decoding's first token does
      record.prefill_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      record.text = tokenizer_ != nullptr ? tokenizer_->decode(plan->forced_output) : "";
      record.output_ids = plan->forced_output;
    } else {
      generation.max_new_tokens = plan->max_new_tokens;
      const auto result =
          model_.generate(*cache, parts, plan->member, generation, tokenizer_, &record.prefilled);
      record.text = result.text;
      record.output_ids = result.tokens;
      record.decoded = static_cast<int64_t>(result.tokens.size());
      record.prefill_seconds = result.prefill_seconds;
      record.decode_seconds = result.decode_seconds;
      if (options_.mode == ChainMode::kShared && result.stop_reason != StopReason::kEos) {
        // The member's last token is part of its output: cache it as the member saw it.
        model_.run(*cache, {LayoutPart::output(plan->member, {result.tokens.back()}, -1, false)},
                   /*last_logits_only=*/true);
      }
    }
    peak = std::max(peak, resident(false));
    if (options_.mode == ChainMode::kShared && options_.evict && plan->member_done) {
      record.evicted_slots =
          cache->drop({plan->member, {SegmentRole::kPrompt, SegmentRole::kInput}});
    }
    record.kv_bytes_resident = resident(false);
    record.kv_bytes_allocated = resident(true);
    record.kv_bytes_peak = peak;
    turns.push_back(record);
  }
  for (auto& [member, cache] : member_caches)
    spare_caches_.insert_or_assign(member, std::move(cache));
  if (shared_cache) spare_caches_.insert_or_assign("", std::move(*shared_cache));
  return turns;
}

KVCache ChainRunner::take_cache(const std::string& key) {
  const auto found = spare_caches_.find(key);
  if (found == spare_caches_.end()) return model_.base().make_cache(1);
  KVCache cache = std::move(found->second);
  spare_caches_.erase(found);
  cache.truncate(0);
  return cache;
}

}  // namespace kvchain
