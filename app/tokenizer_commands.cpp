#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/options.h"
#include "engine/concurrency/parallel_indices.h"
#include "engine/io/error.h"
#include "engine/io/jsonl_reader.h"
#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/bpe_trainer.h"

namespace kvchain::app {
namespace {

struct TokenizeArgs {
  std::string model_dir, tokenizer_file, text, decode, input, check, field = "text";
  bool jsonl = false;
  size_t threads = 0;
};

Tokenizer open_tokenizer(const TokenizeArgs& a) {
  if (!a.tokenizer_file.empty()) return Tokenizer::from_file(a.tokenizer_file);
  if (a.model_dir.empty()) throw Error("tokenize: give --model DIR or --tokenizer FILE");
  return load_tokenizer_beside(a.model_dir, "tokenize");
}

// --input: a whole file (or standard input, "-") as one text, or, with --jsonl, one record per
// line whose `field` is encoded: a JSON list of ids per record, in the input's order, the
// records encoded on several threads.
void encode_input(const TokenizeArgs& a, const Tokenizer& tokenizer) {
  const auto path = a.input == "-" ? std::string("/dev/stdin") : a.input;
  if (!a.jsonl) {
    std::cout << Json(tokenizer.encode(read_text_file(path))).dump() << "\n";
    return;
  }
  std::vector<std::string> texts;
  JsonlReader reader(path, "the input");
  for (Json record; reader.next(record);) {
    if (!record.is_object() || !record.contains(a.field) || !record[a.field].is_string()) {
      throw Error(reader.where() + ": a record needs a string field '" + a.field + "'");
    }
    texts.push_back(record[a.field].get<std::string>());
  }
  std::vector<std::string> lines(texts.size());
  parallel_indices(texts.size(), a.threads > 0 ? a.threads : hardware_threads(),
                   [&](size_t, size_t i) { lines[i] = Json(tokenizer.encode(texts[i])).dump(); });
  for (const auto& line : lines) std::cout << line << "\n";
}

// --check: reference records {"text", "ids", "decoded"} (what HF tokenizers gives, e.g. from
// dev/tokenizers/), each encoded and its ids decoded; the first mismatches are printed with
// their line, and any mismatch is an error.
void check_reference(const TokenizeArgs& a, const Tokenizer& tokenizer) {
  JsonlReader reader(a.check, "the reference");
  int64_t records = 0, encode_mismatches = 0, decode_mismatches = 0;
  constexpr int64_t kShown = 5;
  for (Json record; reader.next(record);) {
    if (!record.is_object() || !record.contains("text") || !record["text"].is_string() ||
        !record.contains("ids") || !record["ids"].is_array()) {
      throw Error(reader.where() + ": a reference record is {\"text\": ..., \"ids\": [...]}");
    }
    ++records;
    const auto text = record["text"].get<std::string>();
    std::vector<int64_t> ids;
    for (const auto& id : record["ids"]) ids.push_back(json_int(id, reader.where() + ": ids"));
    const auto encoded = tokenizer.encode(text);
    if (encoded != ids && encode_mismatches++ < kShown) {
      std::cout << reader.where() << ": encode " << Json(text).dump().substr(0, 60) << " gives "
                << Json(encoded).dump().substr(0, 80) << ", the reference "
                << Json(ids).dump().substr(0, 80) << "\n";
    }
    if (!record.contains("decoded")) continue;
    const auto decoded = tokenizer.decode(ids);
    if (decoded != record["decoded"] && decode_mismatches++ < kShown) {
      std::cout << reader.where() << ": decode gives " << Json(decoded).dump().substr(0, 60)
                << ", the reference " << record["decoded"].dump().substr(0, 60) << "\n";
    }
  }
  std::cout << a.check << ": " << records << " records, " << encode_mismatches
            << " encoded otherwise, " << decode_mismatches << " decoded otherwise\n";
  if (encode_mismatches + decode_mismatches > 0) {
    throw Error(a.check + ": the tokenizer differs from the reference");
  }
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
  auto* input = tokenize->add_option("--input", args->input,
                                     "A file to encode (- for standard input): its whole text, "
                                     "or with --jsonl one record per line");
  auto* check = tokenize->add_option(
      "--check", args->check,
      "Reference JSONL of {text, ids, decoded} (HF tokenizers' outputs): compare encode and "
      "decode with it");
  auto* jsonl =
      tokenize->add_flag("--jsonl", args->jsonl, "--input is JSONL: print one id list per record");
  tokenize->add_option("--field", args->field, "The JSONL records' text field")->needs(jsonl);
  tokenize->add_option("--threads", args->threads, "Threads encoding JSONL records (0: all)")
      ->check(CLI::Range(size_t{0}, size_t{1024}));
  jsonl->needs(input);
  text->excludes(decode);
  input->excludes(text);
  input->excludes(decode);
  for (auto* other : {text, decode, input}) check->excludes(other);
  tokenize->callback([args, text, decode, input, check] {
    if (text->count() == 0 && decode->count() == 0 && input->count() == 0 && check->count() == 0)
      throw Error("tokenize: give --text, --input, --decode or --check");
    const auto tokenizer = open_tokenizer(*args);
    if (check->count() > 0) {
      check_reference(*args, tokenizer);
    } else if (input->count() > 0) {
      encode_input(*args, tokenizer);
    } else if (decode->count() > 0) {
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
