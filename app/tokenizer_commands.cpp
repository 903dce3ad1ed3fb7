#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/options.h"
#include "engine/io/error.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/bpe_trainer.h"

namespace kvchain::app {
namespace {

struct TokenizeArgs {
  std::string model_dir, tokenizer_file, text, decode;
};

BpeTokenizer open_tokenizer(const TokenizeArgs& a) {
  if (!a.tokenizer_file.empty()) return BpeTokenizer::from_file(a.tokenizer_file);
  if (a.model_dir.empty()) throw Error("tokenize: give --model DIR or --tokenizer FILE");
  return load_tokenizer_beside(a.model_dir, "tokenize");
}

struct TrainArgs {
  std::string corpus, out;
  BpeTrainerOptions options;
};

}  // namespace

void register_tokenizer_commands(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* tokenize = app.add_subcommand("tokenize", "Encode text to ids (JSON list) or decode ids");
  auto* model = tokenize->add_option("--model", args->model_dir, "Checkpoint directory");
  auto* file = tokenize->add_option("--tokenizer", args->tokenizer_file, "tokenizer.json");
  model->excludes(file);
  auto* text =
      tokenize->add_option("--text", args->text, "Text to encode (no special tokens added)");
  auto* decode = tokenize->add_option("--decode", args->decode, "Ids to decode, e.g. 1,2,3");
  text->excludes(decode);
  tokenize->callback([args, text, decode] {
    if (text->count() == 0 && decode->count() == 0)
      throw Error("tokenize: give --text or --decode");
    const auto tokenizer = open_tokenizer(*args);
    if (decode->count() > 0) {
      std::cout << tokenizer.decode(parse_id_list(args->decode, "--decode")) << "\n";
    } else {
      std::cout << Json(tokenizer.encode(args->text)).dump() << "\n";
    }
  });

  auto train = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train-tokenizer", "Learn a byte-level BPE tokenizer.json from text");
  cmd->add_option("--corpus", train->corpus, "UTF-8 text file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", train->out, "Output tokenizer.json")->required();
  cmd->add_option("--vocab-size", train->options.vocab_size,
                  "Vocabulary size incl. special tokens");
  cmd->add_option("--min-frequency", train->options.min_frequency, "Least count of a merged pair")
      ->check(non_negative());
  cmd->callback([train] {
    if (std::filesystem::file_size(train->corpus) == 0) {
      throw Error(train->corpus + ": the corpus is empty; a tokenizer learns from text");
    }
    std::ifstream in(train->corpus, std::ios::binary);
    const auto tokenizer = train_bpe(in, train->options);
    tokenizer.save(train->out);
    std::cerr << "wrote " << train->out << " (" << tokenizer.vocab_size() << " tokens)\n";
  });
}

}  // namespace kvchain::app
