#include "engine/training/pretrain.h"

#include <filesystem>
#include <iostream>
#include <sstream>

#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/model/model_presets.h"
#include "engine/tokenizer/bpe_trainer.h"

namespace kvchain {
namespace fs = std::filesystem;

namespace {

constexpr const char* kEndOfText = "<|end_of_text|>";
constexpr const char* kBeginOfText = "<|begin_of_text|>";

std::string read_texts(const std::vector<std::string>& paths) {
  if (paths.empty()) throw Error("pretrain: no text given");
  std::string text;
  for (const auto& path : paths) {
    const auto file = read_text_file(path);
    if (file.find_first_not_of(" \t\r\n") == std::string::npos) {
      throw Error(path + ": the pretraining text is empty");
    }
    text += file;
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return text;
}

// Every line's tokens followed by EOS, cut into rows of `length` + 1 (inputs and shifted
// labels share all but one token).
torch::Tensor pack_rows(const std::string& text, const BpeTokenizer& tokenizer, int64_t eos,
                        int64_t length, const std::string& path) {
  std::vector<int64_t> stream;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto ids = tokenizer.encode(line);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(eos);
  }
  const int64_t rows = static_cast<int64_t>(stream.size()) / (length + 1);
  if (rows == 0) {
    throw Error(path + ": " + std::to_string(stream.size()) + " tokens are fewer than one row of " +
                std::to_string(length + 1));
  }
  stream.resize(rows * (length + 1));
  return torch::tensor(stream, torch::kInt64).view({rows, length + 1});
}

}  // namespace

void pretrain(const PretrainOptions& options) {
  const auto text = read_texts(options.text_paths);
  const auto tokenizer_path = (fs::path(options.out_dir) / "tokenizer.json").string();
  // The tokenizer is deterministic in the text, so a resumed run retrains the same one.
  std::istringstream text_stream(text);
  BpeTrainerOptions tokenizer_options;
  tokenizer_options.vocab_size = options.vocab_size;
  tokenizer_options.special_tokens = {kBeginOfText, kEndOfText};
  const auto tokenizer = train_bpe(text_stream, tokenizer_options);
  const int64_t eos = *tokenizer.token_id(kEndOfText);

  auto config = preset_config(options.preset, tokenizer.vocab_size());
  config.eos_token_ids = {eos};
  config.bos_token_id = *tokenizer.token_id(kBeginOfText);
  auto model = std::make_shared<LlamaForCausalLM>(config);
  model->init_random(options.trainer.seed);
  const auto device = parse_device(options.device);
  model->to(device);
  model->train();

  const auto rows =
      pack_rows(text, tokenizer, eos, options.sequence_length, options.text_paths.front())
          .to(device);
  const int64_t batches = (rows.size(0) + options.batch_size - 1) / options.batch_size;
  std::cerr << "pretrain: " << config.parameter_count() << " parameters, " << rows.size(0)
            << " rows of " << options.sequence_length << " tokens, " << batches
            << " batches per epoch, device " << options.device << "\n";

  NamedTensors parameters;
  for (const auto& item : model->named_parameters()) {
    parameters.push_back({item.key(), item.value()});
  }
  auto trainer_options = options.trainer;
  trainer_options.grad_accumulation = 1;
  trainer_options.checkpoint_dir = (fs::path(options.out_dir) / "checkpoint").string();
  trainer_options.log_path = (fs::path(options.out_dir) / "train_log.jsonl").string();
  trainer_options.label = "pretrain";
  const Json identity = {{"text_bytes", text.size()},
                         {"text_hash", std::hash<std::string>{}(text)},
                         {"options", trainer_options.to_json()},
                         {"preset", options.preset},
                         {"vocab_size", options.vocab_size},
                         {"sequence_length", options.sequence_length},
                         {"batch_size", options.batch_size}};
  Trainer trainer(parameters, trainer_options, identity.dump());
  const auto summary = trainer.train(batches, [&](int64_t batch) {
    const auto begin = batch * options.batch_size;
    const auto rows_here = std::min(options.batch_size, rows.size(0) - begin);
    const auto chunk = rows.narrow(0, begin, rows_here);
    ForwardArgs args;
    args.input_ids = chunk.narrow(1, 0, options.sequence_length);
    const auto logits = model->forward(args).logits;
    const auto labels = chunk.narrow(1, 1, options.sequence_length);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     labels.reshape({-1}));
    return ExampleLoss{loss, rows_here * options.sequence_length};
  });
  model->eval();
  save_model(*model, options.out_dir);
  tokenizer.save(tokenizer_path);
  std::cerr << "pretrain: final loss " << summary.final_loss << " after " << summary.steps
            << " steps (" << static_cast<int64_t>(summary.seconds) << " s); wrote "
            << options.out_dir << "\n";
}

}  // namespace kvchain
