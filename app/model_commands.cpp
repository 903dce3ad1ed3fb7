#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "app/commands.h"
#include "app/options.h"
#include "engine/adapters/adapter.h"
#include "engine/chain/chain_model.h"
#include "engine/generation/greedy.h"
#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/model/checkpoint_average.h"
#include "engine/model/device.h"

namespace kvchain::app {
namespace {

std::unique_ptr<Tokenizer> tokenizer_beside(const std::string& dir) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json")) return nullptr;
  return std::make_unique<Tokenizer>(load_tokenizer_beside(dir, "this command"));
}

struct GenerateArgs {
  std::string model_dir, prompt, adapter, device = "cpu";
  std::optional<std::string> prompt_ids;  // set when --prompt-ids is given, even empty
  int64_t max_new_tokens = 32;
  std::vector<std::string> stop;
  bool json = false;
};

void run_generate(const GenerateArgs& a) {
  auto model = load_model(a.model_dir, parse_device(a.device));
  model->eval();
  auto tokenizer = tokenizer_beside(a.model_dir);
  std::vector<int64_t> prompt;
  if (a.prompt_ids) {
    prompt = parse_id_list(*a.prompt_ids, "--prompt-ids");
    for (auto id : prompt) {
      if (id < 0 || id >= model->config().vocab_size) {
        throw Error("--prompt-ids: id " + std::to_string(id) +
                    " is outside the model's vocabulary (" +
                    std::to_string(model->config().vocab_size) + ")");
      }
    }
  } else {
    if (!tokenizer)
      throw Error(a.model_dir + ": --prompt needs a tokenizer.json in the model directory");
    prompt = tokenizer->encode(a.prompt);
    if (prompt.empty()) throw Error("--prompt: the prompt encodes to no tokens");
  }
  GenerationOptions options;
  options.max_new_tokens = a.max_new_tokens;
  options.eos_token_ids = model->config().eos_token_ids;
  options.stop_strings = a.stop;
  GenerationResult result;
  if (a.adapter.empty()) {
    auto cache = model->make_cache(1, static_cast<int64_t>(prompt.size()) + a.max_new_tokens,
                                   KVCache::Layout::kStatic);
    ForwardArgs prefill;
    prefill.input_ids = torch::tensor(prompt, torch::kInt64).unsqueeze(0);
    prefill.tag = {"", SegmentRole::kInput};
    result = generate_greedy(*model, cache, prefill, options, tokenizer.get(),
                             {"", SegmentRole::kOutput});
  } else {
    // The adapter's prompt goes first, as a chain member's does: [P][prompt] -> output.
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    ChainModel chain(model);
    const std::string member = "adapter";
    chain.set_adapter(member, load_adapter(a.adapter, *model));
    auto cache = model->make_cache(1);
    result = chain.generate(
        cache,
        {LayoutPart::prompt(member), LayoutPart::tokens({member, SegmentRole::kInput}, prompt)},
        member, options, tokenizer.get());
  }
  if (a.json) {
    auto ids = prompt;
    ids.insert(ids.end(), result.tokens.begin(), result.tokens.end());
    Json out = {{"ids", ids}, {"stop_reason", stop_reason_name(result.stop_reason)}};
    out["text"] = tokenizer ? Json(result.text) : Json(nullptr);
    std::cout << out.dump() << "\n";
  } else if (tokenizer) {
    std::cout << result.text << "\n";
  } else {
    std::cout << Json(result.tokens).dump() << "\n";
  }
}

struct ConvertArgs {
  std::string model_dir, out_dir, dtype = "float32";
  int64_t max_shard_mb = 5120;
};

// Re-saves a checkpoint (another dtype, other shard sizes) with its tokenizer.
void run_convert(const ConvertArgs& a) {
  namespace fs = std::filesystem;
  auto model = load_model(a.model_dir, torch::kCPU, parse_dtype(a.dtype));
  save_model(*model, a.out_dir, a.max_shard_mb << 20);
  if (auto tokenizer = tokenizer_beside(a.model_dir)) {
    tokenizer->save((fs::path(a.out_dir) / "tokenizer.json").string());
  }
  std::cout << "wrote " << a.out_dir << " (" << a.dtype << ", " << model->config().parameter_count()
            << " parameters)\n";
}

struct AverageArgs {
  std::vector<std::string> model_dirs;
  std::vector<double> weights;
  std::string out_dir, dtype = "float32";
};

// Averages checkpoints of one shape and tokenizer (engine/model/checkpoint_average.h) and saves
// the average with that tokenizer. Each directory's config is read first, so one that holds no
// checkpoint is named as such rather than as another vocabulary.
void run_average(const AverageArgs& a) {
  namespace fs = std::filesystem;
  const auto dtype = parse_dtype(a.dtype);
  for (const auto& dir : a.model_dirs) ModelConfig::from_file(dir + "/config.json");
  const auto tokenizer = tokenizer_file_beside(a.model_dirs[0]);
  for (const auto& dir : a.model_dirs) {
    const auto other = tokenizer_file_beside(dir);
    if (fs::exists(other) != fs::exists(tokenizer) ||
        (fs::exists(other) && read_text_file(other) != read_text_file(tokenizer))) {
      throw Error(dir + ": its tokenizer.json differs from " + a.model_dirs[0] +
                  "'s; averaged checkpoints must read one vocabulary");
    }
  }
  auto model = average_checkpoints(a.model_dirs, a.weights);
  model->to(dtype);
  save_model(*model, a.out_dir);
  if (fs::exists(tokenizer)) {
    tokenizer_beside(a.model_dirs[0])->save(tokenizer_file_beside(a.out_dir));
  }
  std::cout << "wrote " << a.out_dir << " (" << a.dtype << ", the average of "
            << a.model_dirs.size() << " checkpoints)\n";
}

void run_info(const std::string& dir) {
  const auto config = ModelConfig::from_file((std::filesystem::path(dir) / "config.json").string());
  Json summary = {
      {"model_type", "llama"},
      {"vocab_size", config.vocab_size},
      {"hidden_size", config.hidden_size},
      {"intermediate_size", config.intermediate_size},
      {"num_hidden_layers", config.num_hidden_layers},
      {"num_attention_heads", config.num_attention_heads},
      {"num_key_value_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"rope_theta", config.rope_theta},
      {"rope_type", config.rope_scaling.type},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"parameters", config.parameter_count()},
      {"kv_bytes_per_token",
       {{"float32", config.kv_bytes_per_token(4)}, {"bfloat16", config.kv_bytes_per_token(2)}}}};
  std::cout << summary.dump(2) << "\n";
}

}  // namespace

void register_model_commands(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* generate = app.add_subcommand("generate", "Greedy continuation of a prompt");
  generate->add_option("--model", args->model_dir, "Checkpoint directory (HF layout)")->required();
  auto* text = generate->add_option("--prompt", args->prompt, "Prompt text");
  auto* ids =
      generate->add_option("--prompt-ids", args->prompt_ids, "Prompt token ids, e.g. 1,2,3");
  text->excludes(ids);
  generate->add_option("--max-new-tokens", args->max_new_tokens, "Generation bound")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  generate->add_option("--adapter", args->adapter,
                       "A prompt-tuning or prefix adapter (kvchain file or PEFT directory) put "
                       "before the prompt");
  generate->add_option("--stop", args->stop, "Stop string (repeatable)");
  generate->add_option("--device", args->device, "cpu, cuda or cuda:N");
  generate->add_flag("--json", args->json, "Print {\"ids\", \"text\", \"stop_reason\"}");
  generate->callback([args, text, ids] {
    if (text->count() == 0 && ids->count() == 0)
      throw Error("generate: give --prompt or --prompt-ids");
    run_generate(*args);
  });

  auto model_dir = std::make_shared<std::string>();
  auto* info = app.add_subcommand("info", "Config, parameter count and KV bytes per token");
  info->add_option("--model", *model_dir, "Checkpoint directory")->required();
  info->callback([model_dir] { run_info(*model_dir); });

  auto convert_args = std::make_shared<ConvertArgs>();
  auto* convert =
      app.add_subcommand("convert", "Re-save a checkpoint in another dtype or sharding");
  convert->add_option("--model", convert_args->model_dir, "Source checkpoint directory")
      ->required();
  convert->add_option("--out", convert_args->out_dir, "Target directory")->required();
  convert->add_option("--dtype", convert_args->dtype, "float32, bfloat16 or float16");
  convert->add_option("--max-shard-mb", convert_args->max_shard_mb, "Largest shard in MiB")
      ->check(positive());
  convert->callback([convert_args] { run_convert(*convert_args); });

  auto average_args = std::make_shared<AverageArgs>();
  auto* average = app.add_subcommand(
      "average", "Average checkpoints of one model weight by weight (a checkpoint soup)");
  average->add_option("--model", average_args->model_dirs, "Checkpoint directory (repeatable)")
      ->required();
  average
      ->add_option("--weights", average_args->weights,
                   "One weight per checkpoint, in order, adding up to 1 (e.g. 0.15,0.85)")
      ->required()
      ->delimiter(',');
  average->add_option("--out", average_args->out_dir, "Target directory")->required();
  average->add_option("--dtype", average_args->dtype, "float32, bfloat16 or float16");
  average->callback([average_args] { run_average(*average_args); });
}

}  // namespace kvchain::app
