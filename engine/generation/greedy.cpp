#include "engine/generation/greedy.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/io/error.h"

namespace kvchain {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEos:
      return "eos";
    case StopReason::kStopString:
      return "stop_string";
    case StopReason::kMaxTokens:
      return "max_tokens";
    case StopReason::kContext:
      return "context";
  }
  return "max_tokens";
}

GenerationResult generate_greedy(LlamaForCausalLM& model, KVCache& cache, ForwardArgs prefill,
                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                 const SegmentTag& output_tag) {
  if (!options.stop_strings.empty() && tokenizer == nullptr) {
    throw Error("generate: stop strings need a tokenizer");
  }
  size_t longest_stop = 0;
  for (const auto& s : options.stop_strings) {
    if (s.empty()) throw Error("generate: an empty stop string would stop at the first token");
    longest_stop = std::max(longest_stop, s.size());
  }
  torch::NoGradGuard no_grad;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto prefill_end = start;
  GenerationResult result;
  prefill.cache = &cache;
  prefill.last_logits_only = true;
  const auto& prefill_input =
      prefill.input_ids.defined() ? prefill.input_ids : prefill.inputs_embeds;
  const int64_t context = model.config().max_position_embeddings;
  // Explicit positions on a device are not read back (a synchronisation on the latency path);
  // decoding still stops at the context.
  const bool positions_known = !prefill.position_ids.defined() || !prefill.position_ids.is_cuda();
  const int64_t last_prompt_position =
      !prefill.position_ids.defined() ? cache.next_position() + prefill_input.size(1) - 1
      : positions_known               ? prefill.position_ids.max().item<int64_t>()
                                      : 0;
  if (last_prompt_position >= context) {
    throw Error("generate: the prompt reaches position " + std::to_string(last_prompt_position) +
                ", past the model's context of " + std::to_string(context) +
                " (max_position_embeddings)");
  }
  cache.reserve(cache.size() + ShapeStableSteps::prefill_rows(prefill_input.size(1)) +
                options.max_new_tokens);
  std::optional<ShapeStableSteps> own_steps;
  ShapeStableSteps& steps = options.steps != nullptr ? *options.steps : own_steps.emplace(model);
  int64_t token = steps.prefill(prefill);
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    if (step == 0) prefill_end = Clock::now();
    result.tokens.push_back(token);
    if (std::count(options.eos_token_ids.begin(), options.eos_token_ids.end(), token) > 0) {
      result.stop_reason = StopReason::kEos;
      break;
    }
    if (!options.stop_strings.empty()) {
      // A stop string that appears now ends in the newest token and spans at most
      // longest_stop bytes, so at most that many of the last tokens (each at least a byte):
      // the check costs the same at every step.
      const auto window = std::min(result.tokens.size(), longest_stop);
      const auto text = tokenizer->decode({result.tokens.end() - window, result.tokens.end()});
      const auto hit =
          std::any_of(options.stop_strings.begin(), options.stop_strings.end(),
                      [&](const std::string& s) { return text.find(s) != std::string::npos; });
      if (hit) {
        result.stop_reason = StopReason::kStopString;
        break;
      }
    }
    if (step + 1 == options.max_new_tokens) break;
    if (cache.next_position() >= context) {
      result.stop_reason = StopReason::kContext;
      break;
    }
    const auto mask = options.step_mask ? options.step_mask(cache) : torch::Tensor();
    token = steps.decode(cache, token, mask, output_tag);
  }
  result.prefill_seconds = std::chrono::duration<double>(prefill_end - start).count();
  result.decode_seconds = std::chrono::duration<double>(Clock::now() - prefill_end).count();
  if (tokenizer != nullptr) {
    auto visible = result.tokens;
    if (result.stop_reason == StopReason::kEos) visible.pop_back();
    result.text = tokenizer->decode(visible);
    size_t cut = result.text.size();
    for (const auto& s : options.stop_strings) cut = std::min(cut, result.text.find(s));
    result.text.resize(cut);
  }
  return result;
}

}  // namespace kvchain
