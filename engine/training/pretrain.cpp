#include "engine/training/pretrain.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "engine/concurrency/parallel_indices.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/io/text_documents.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/model/model_presets.h"
#include "engine/tokenizer/bpe_trainer.h"
#include "engine/torch_compat.h"
#include "engine/training/pretrain_schedule.h"

namespace kvchain {
namespace fs = std::filesystem;

namespace {

constexpr const char* kEndOfText = "<|end_of_text|>";
constexpr const char* kBeginOfText = "<|begin_of_text|>";
constexpr size_t kTokenizerSampleBytes = size_t{32} << 20;

std::string joined(const std::vector<std::string>& documents) {
  std::string text;
  for (const auto& document : documents) text += document + "\n";
  return text;
}

// Every document's tokens followed by EOS, documents spread over the hardware's threads
// (encoding is const and each document is its own, so the result does not depend on the thread
// count).
std::vector<std::vector<int64_t>> tokenize(const std::vector<std::string>& documents,
                                           const Tokenizer& tokenizer, int64_t eos) {
  std::vector<std::vector<int64_t>> tokens(documents.size());
  parallel_indices(documents.size(), hardware_threads(), [&](size_t, size_t i) {
    tokens[i] = tokenizer.encode(documents[i]);
    tokens[i].push_back(eos);
  });
  return tokens;
}

// A byte-level BPE tokenizer learnt from the whole lines within the text's first
// kTokenizerSampleBytes (curriculum first): a small vocabulary's merges settle long before, and
// counting every word of a large corpus would take minutes. It is deterministic in the text, so
// a resumed run retrains the same one.
Tokenizer train_tokenizer(const std::string& curriculum, const std::string& text,
                          int64_t vocab_size) {
  // (The byte just past the limit is read too: a line ending there is whole.)
  auto sample = curriculum.substr(0, kTokenizerSampleBytes + 1);
  sample += text.substr(0, kTokenizerSampleBytes + 1 - sample.size());
  if (curriculum.size() + text.size() > kTokenizerSampleBytes) {
    sample.resize(sample.rfind('\n') + 1);
  }
  std::istringstream text_stream(sample);
  BpeTrainerOptions tokenizer_options;
  tokenizer_options.vocab_size = vocab_size;
  tokenizer_options.special_tokens = {kBeginOfText, kEndOfText};
  return train_bpe(text_stream, tokenizer_options);
}

std::shared_ptr<LlamaForCausalLM> random_model(const PretrainOptions& options,
                                               const Tokenizer& tokenizer) {
  auto config = preset_config(options.preset, tokenizer.vocab_size());
  config.eos_token_ids = {*tokenizer.token_id(kEndOfText)};
  config.bos_token_id = *tokenizer.token_id(kBeginOfText);
  auto model = std::make_shared<LlamaForCausalLM>(config);
  model->init_random(options.trainer.seed);
  return model;
}

// What a resumed run checks that it continues from: a hash of the init base's config,
// tokenizer and weight files, or empty for a random start.
std::string init_identity(const std::string& dir) {
  if (dir.empty()) return "";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() == ".safetensors" || name == "config.json" ||
        name == "tokenizer.json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::string hashes;
  for (const auto& file : files) {
    hashes += file.filename().string() + " " + file_content_hash(file.string()) + "\n";
  }
  return content_hash(hashes);
}

}  // namespace

void pretrain(const PretrainOptions& options) {
  const auto documents = read_text_documents(options.text_paths, "pretraining");
  const auto curriculum_documents =
      options.curriculum_paths.empty()
          ? std::vector<std::string>()
          : read_text_documents(options.curriculum_paths, "pretraining");
  const auto text = joined(documents);
  const auto curriculum = joined(curriculum_documents);
  const auto tokenizer_path = tokenizer_file_beside(options.out_dir);
  const auto device = parse_device(options.device);
  const auto tokenizer =
      !options.init_dir.empty() ? load_tokenizer_beside(options.init_dir, "pretrain --init")
      : !options.tokenizer_dir.empty()
          ? load_tokenizer_beside(options.tokenizer_dir, "pretrain --tokenizer-from")
          : train_tokenizer(curriculum, text, options.vocab_size);
  const auto model = options.init_dir.empty()
                         ? random_model(options, tokenizer)
                         : load_model(options.init_dir, device, torch::kFloat32);
  const auto& config = model->config();
  if (config.eos_token_ids.empty()) {
    throw Error(options.init_dir + "/config.json: a base to continue needs an eos_token_id");
  }
  const int64_t eos = config.eos_token_ids.front();
  // Pretraining is the one place kvchain trades float32 matmul precision for speed: TF32 keeps
  // float32's range, and a base is judged by what it learns (its probe), not by matching a
  // reference bit for bit.
  if (device.is_cuda()) compat::allow_tf32_matmul();
  model->to(device);
  model->train();

  std::vector<PretrainStage> stages;
  if (!curriculum.empty()) {
    stages.push_back({options.curriculum_paths.front(),
                      tokenize(curriculum_documents, tokenizer, eos), options.curriculum_epochs});
  }
  stages.push_back(
      {options.text_paths.front(), tokenize(documents, tokenizer, eos), options.trainer.epochs});
  PretrainSchedule schedule(std::move(stages), options.sequence_length, options.batch_size,
                            options.trainer.seed);
  for (size_t s = 0; s < schedule.stage_count(); ++s) {
    std::cerr << "pretrain: " << schedule.stage_name(s)
              << (s + 1 == schedule.stage_count() ? " (main)" : " (curriculum)") << ": "
              << schedule.rows_per_epoch(s) << " rows of " << options.sequence_length
              << " tokens per epoch\n";
  }
  std::cerr << "pretrain: " << config.parameter_count() << " parameters, " << schedule.batches()
            << " batches of " << options.batch_size << " rows, device " << options.device << "\n";

  NamedTensors parameters;
  for (const auto& item : model->named_parameters()) {
    parameters.push_back({item.key(), item.value()});
  }
  auto trainer_options = options.trainer;
  trainer_options.grad_accumulation = 1;
  // A schedule of no batches (--epochs 0) still writes the untrained start.
  trainer_options.epochs = schedule.batches() > 0 ? 1 : 0;
  trainer_options.shuffle = false;
  trainer_options.checkpoint_dir = (fs::path(options.out_dir) / "checkpoint").string();
  trainer_options.log_path = (fs::path(options.out_dir) / "train_log.jsonl").string();
  trainer_options.label = "pretrain";
  const Json identity = {
      {"text_bytes", text.size()},
      {"text_hash", content_hash(text)},
      {"curriculum_bytes", curriculum.size()},
      {"curriculum_hash", content_hash(curriculum)},
      {"curriculum_epochs", options.curriculum_epochs},
      {"epochs", options.trainer.epochs},
      {"options", trainer_options.to_json()},
      {"preset", options.preset},
      {"init", init_identity(options.init_dir)},
      {"tokenizer", options.tokenizer_dir.empty()
                        ? ""
                        : file_content_hash(tokenizer_file_beside(options.tokenizer_dir))},
      {"vocab_size", options.vocab_size},
      {"sequence_length", options.sequence_length},
      {"batch_size", options.batch_size}};
  Trainer trainer(parameters, trainer_options, identity.dump());
  const auto summary = trainer.train(std::max<int64_t>(schedule.batches(), 1), [&](int64_t batch) {
    const auto chunk = schedule.batch(batch, device);
    ForwardArgs args;
    args.input_ids = chunk.narrow(1, 0, options.sequence_length);
    const auto logits = model->forward(args).logits;
    const auto labels = chunk.narrow(1, 1, options.sequence_length);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     labels.reshape({-1}));
    return ExampleLoss{loss, chunk.size(0) * options.sequence_length};
  });
  model->eval();
  save_model(*model, options.out_dir);
  tokenizer.save(tokenizer_path);
  std::cerr << "pretrain: final loss " << summary.final_loss << " after " << summary.steps
            << " steps (" << static_cast<int64_t>(summary.seconds) << " s); wrote "
            << options.out_dir << "\n";
}

}  // namespace kvchain
