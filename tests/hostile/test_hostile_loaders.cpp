// Hostile but fair input to the loaders: each is refused with an Error naming the file and the
// field or tensor at fault, never a crash, a hang or a silently wrong result.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/adapters/adapter.h"
#include "engine/generation/greedy.h"
#include "engine/io/atomic_file.h"
#include "engine/io/jsonl_reader.h"
#include "engine/io/safetensors.h"
#include "engine/model/checkpoint.h"
#include "engine/model/model_config.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/training/trainer.h"
#include "eval/prediction_scores.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

std::string tiny_llama() {
  return test::fixtures_dir() + "/tiny-llama";
}

Json read_fixture(const std::string& name) {
  return read_json_file(tiny_llama() + "/" + name);
}

void write_json(const std::string& path, const Json& json) {
  std::ofstream(path) << json.dump();
}

// The message loading `json` as a tokenizer.json gives: it names the file.
std::string tokenizer_error(const test::TempDir& dir, const Json& json) {
  const auto path = dir.file("tokenizer.json");
  write_json(path, json);
  const auto message = test::error_message([&] { Tokenizer::from_file(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  return message;
}

TEST(HostileTokenizer, FieldsOfTheWrongTypeAreRefusedByName) {
  test::TempDir dir;
  const auto good = read_fixture("tokenizer.json");
  const std::vector<std::pair<std::function<void(Json&)>, std::string>> cases = {
      {[](Json& j) { j["model"]["merges"] = "a b"; }, "model.merges must be a list"},
      {[](Json& j) { j["model"]["merges"] = Json::object(); }, "model.merges must be a list"},
      {[](Json& j) { j["model"]["merges"] = nullptr; }, "model.merges must be a list"},
      {[](Json& j) {
         j["pre_tokenizer"]["pretokenizers"] = {1, 2};
       },
       "pre_tokenizer"},
      {[](Json& j) { j["decoder"] = 5; }, "decoder must be an object or null"},
      {[](Json& j) { j["model"]["byte_fallback"] = "yes"; }, "model.byte_fallback: expected a boolean"},
      {[](Json& j) { j["added_tokens"] = 3; }, "added_tokens must be a list"},
      {[](Json& j) { j["model"] = 7; }, "model must be an object"},
  };
  for (const auto& [mutate, expected] : cases) {
    auto json = good;
    mutate(json);
    EXPECT_NE(tokenizer_error(dir, json).find(expected), std::string::npos) << expected;
  }
}

TEST(HostileTokenizer, MergesOfUnknownTokensAndDuplicateIdsAreRefused) {
  test::TempDir dir;
  auto json = read_fixture("tokenizer.json");
  json["model"]["merges"].push_back("Qzx Ġvv");
  EXPECT_NE(tokenizer_error(dir, json).find("which model.vocab lacks"), std::string::npos);
  json = read_fixture("tokenizer.json");
  auto& vocab = json["model"]["vocab"];
  const auto first = vocab.begin();
  vocab["a-duplicate"] = first.value();
  EXPECT_NE(tokenizer_error(dir, json).find("gives id " + first.value().dump() + " to both"),
            std::string::npos);
}

// Found by hand: a negative added-token id crashed, and added ids that repeat another token's
// were accepted; an id past 2^24 would size the id table.
TEST(HostileTokenizer, AddedTokenIdsOutOfRangeOrTakenAreRefused) {
  test::TempDir dir;
  const auto good = read_fixture("tokenizer.json");
  ASSERT_FALSE(good["added_tokens"].empty());
  const auto vocab_token = good["model"]["vocab"].begin();
  const std::vector<std::pair<std::function<void(Json&)>, std::string>> cases = {
      {[](Json& j) { j["added_tokens"][0]["id"] = -3; }, "added_tokens[0].id: id -3 is outside"},
      {[](Json& j) { j["added_tokens"][0]["id"] = int64_t{1} << 40; }, "is outside 0..2097151"},
      {[](Json& j) { j["model"]["vocab"]["zz"] = int64_t{1} << 62; }, "model.vocab[\"zz\"]"},
      {[&](Json& j) { j["added_tokens"][0]["id"] = vocab_token.value(); },
       "already belongs to \"" + vocab_token.key() + "\""},
      {[](Json& j) {
         auto copy = j["added_tokens"][0];
         copy["content"] = "<x>";
         j["added_tokens"].push_back(copy);
       },
       "already belongs to"},
  };
  for (const auto& [mutate, expected] : cases) {
    auto json = good;
    mutate(json);
    EXPECT_NE(tokenizer_error(dir, json).find(expected), std::string::npos) << expected;
  }
}

TEST(HostileTokenizer, ATokenizerWithMoreIdsThanTheModelIsRefused) {
  test::TempDir dir;
  auto config = read_fixture("config.json");
  config["vocab_size"] = 100;
  write_json(dir.file("config.json"), config);
  write_json(dir.file("tokenizer.json"), read_fixture("tokenizer.json"));
  const auto message =
      test::error_message([&] { load_tokenizer_beside(dir.path().string(), "the test"); });
  EXPECT_NE(message.find("the tokenizer has 512 ids, more than the model's vocab_size of 100"),
            std::string::npos)
      << message;
}

// The message loading `config` as a config.json gives.
std::string config_error(const Json& config) {
  return test::error_message([&] { ModelConfig::from_json(config, "config.json"); });
}

TEST(HostileConfig, AbsurdSizesAndNonsenseNumbersAreRefusedBeforeAnyAllocation) {
  const auto good = read_fixture("config.json");
  ASSERT_EQ(config_error(good), "");
  const std::vector<std::pair<std::function<void(Json&)>, std::string>> cases = {
      {[](Json& j) { j["num_hidden_layers"] = 1000000000; }, "'num_hidden_layers' is 1000000000"},
      {[](Json& j) { j["hidden_size"] = int64_t{1} << 40; }, "'hidden_size' is"},
      {[](Json& j) { j["vocab_size"] = int64_t{1} << 40; }, "'vocab_size' is"},
      {[](Json& j) { j["max_position_embeddings"] = 0; }, "'max_position_embeddings' must be"},
      {[](Json& j) { j["max_position_embeddings"] = -5; }, "'max_position_embeddings' must be"},
      {[](Json& j) { j["rms_norm_eps"] = -1e-5; }, "'rms_norm_eps' must be a finite number"},
      {[](Json& j) { j["rope_parameters"]["rope_theta"] = -1; }, "rope_theta must be a finite"},
      {[](Json& j) { j["rope_parameters"] = "fast"; }, "'rope_parameters' must be an object"},
      {[](Json& j) { j["eos_token_id"] = -5; }, "'eos_token_id' is -5, outside the vocabulary"},
      {[](Json& j) { j["bos_token_id"] = 99999; }, "'bos_token_id' is 99999, outside"},
      {[](Json& j) {
         j["hidden_size"] = 1 << 20;
         j["intermediate_size"] = 1 << 20;
         j["num_hidden_layers"] = 1024;
         j["num_attention_heads"] = 1024;
         j["num_key_value_heads"] = 1024;
         j["head_dim"] = 1024;
       },
       "more than any machine kvchain runs on holds"},
  };
  for (const auto& [mutate, expected] : cases) {
    auto json = good;
    mutate(json);
    const auto message = config_error(json);
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " / " << message;
    EXPECT_EQ(message.rfind("config.json: ", 0), 0u) << message;
  }
}

TEST(HostileWeights, ANonFiniteWeightIsRefusedNamingItsTensor) {
  test::TempDir dir;
  auto model = load_model(tiny_llama(), torch::kCPU);
  {
    torch::NoGradGuard no_grad;
    model->named_parameters()["model.layers.1.mlp.up_proj.weight"][3][5] = NAN;
  }
  save_model(*model, dir.path().string());
  const auto message = test::error_message([&] { load_model(dir.path().string(), torch::kCPU); });
  EXPECT_NE(message.find("tensor 'model.layers.1.mlp.up_proj.weight' holds 1 NaN or infinite"),
            std::string::npos)
      << message;
}

// Found by fuzz_safetensors_header: a header number past double's range is an Error naming the
// file, not an escaping JSON exception.
TEST(HostileWeights, ASafetensorsHeaderNumberOutOfRangeIsRefused) {
  test::TempDir dir;
  const std::string header = R"({"w": {"dtype": "F32", "shape": [1E555], "data_offsets": [0, 4]}})";
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  const auto path = dir.file("model.safetensors");
  std::ofstream(path, std::ios::binary) << bytes << header << std::string(4, '\0');
  const auto message = test::error_message([&] { SafetensorsFile file(path); });
  EXPECT_EQ(message.rfind(path + ": header is not valid JSON", 0), 0u) << message;
}

TEST(HostileWeights, ANonFiniteAdapterIsRefused) {
  test::TempDir dir;
  auto model = load_model(tiny_llama(), torch::kCPU);
  AdapterConfig config;
  config.num_virtual_tokens = 4;
  config.base_fingerprint = model_fingerprint(*model);
  Adapter adapter(config, model->config());
  {
    torch::NoGradGuard no_grad;
    adapter.table()[1][2] = INFINITY;
  }
  const auto path = dir.file("member.safetensors");
  save_adapter(adapter, path);
  const auto message = test::error_message([&] { load_adapter(path, *model); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("NaN or infinite"), std::string::npos) << message;
}

// An adapter's header is checked against its config before anything is allocated: metadata
// claiming millions of tokens, or a table of integers, is refused at once.
TEST(HostileWeights, AnAdapterTableUnlikeItsConfigIsRefusedBeforeAllocating) {
  test::TempDir dir;
  auto model = load_model(tiny_llama(), torch::kCPU);
  AdapterConfig config;
  config.num_virtual_tokens = 4;
  config.base_fingerprint = model_fingerprint(*model);
  const Adapter adapter(config, model->config());
  const auto width = Adapter::table_width(config.kind, model->config());
  const auto write = [&](int64_t tokens, const torch::Tensor& table) {
    auto metadata = config;
    metadata.num_virtual_tokens = tokens;
    const auto path = dir.file("adapter-" + std::to_string(tokens) + ".safetensors");
    write_safetensors(path, {{"prompt_embeddings", table}},
                      {{"kvchain_adapter", metadata.to_json().dump()}});
    return test::error_message([&] { load_adapter(path, *model); });
  };
  EXPECT_NE(write(5000, torch::zeros({4, width})).find("5000 virtual tokens; an adapter has 1 to"),
            std::string::npos);
  EXPECT_NE(write(8, torch::zeros({4, width}))
                .find("has shape [4, " + std::to_string(width) + "], expected [8, "),
            std::string::npos);
  EXPECT_NE(write(4, torch::zeros({4, width}, torch::kInt32))
                .find("is I32; an adapter's table holds floating-point numbers"),
            std::string::npos);
}

TEST(HostileGeneration, GenerationStopsAtTheContextAndRefusesAPromptPastIt) {
  auto config = ModelConfig::from_json(test::small_config_json(), "small");
  config.max_position_embeddings = 12;
  auto model = std::make_shared<LlamaForCausalLM>(config);
  model->init_random(3);
  model->eval();
  GenerationOptions options;
  options.max_new_tokens = 100;
  const auto run = [&](int64_t prompt_tokens) {
    auto cache = model->make_cache(1);
    ForwardArgs prefill;
    prefill.input_ids = torch::arange(1, prompt_tokens + 1, torch::kInt64).unsqueeze(0);
    return generate_greedy(*model, cache, prefill, options, nullptr, {});
  };
  const auto result = run(5);
  EXPECT_EQ(result.stop_reason, StopReason::kContext);
  EXPECT_EQ(result.tokens.size(), 12u - 5u + 1u);  // positions 5..11 decoded, one more predicted
  EXPECT_NE(test::error_message([&] { run(13); }).find("past the model's context of 12"),
            std::string::npos);
  options.stop_strings = {""};
  EXPECT_NE(test::error_message([&] {
              auto cache = model->make_cache(1);
              ForwardArgs prefill;
              prefill.input_ids = torch::ones({1, 3}, torch::kInt64);
              const auto tokenizer = Tokenizer::from_file(tiny_llama() + "/tokenizer.json");
              generate_greedy(*model, cache, prefill, options, &tokenizer, {});
            }).find("an empty stop string"),
            std::string::npos);
}

// Found by fuzz_jsonl_record: a number beyond a double escaped as a JSON library exception.
TEST(HostileJsonl, ANumberOutOfRangeIsAnError) {
  test::TempDir dir;
  const auto path = dir.file("records.jsonl");
  std::ofstream(path) << "{\"id\": \"q1\"}\n{\"id\": 9e991}\n";
  const auto message = test::error_message([&] {
    JsonlReader reader(path, "the records");
    Json record;
    while (reader.next(record)) {
    }
  });
  EXPECT_NE(message.find(path + ":2: not JSON"), std::string::npos) << message;
  EXPECT_NE(test::error_message([&] {
              std::ofstream(dir.file("config.json")) << "{\"rope_theta\": 1e999}";
              read_json_file(dir.file("config.json"));
            }).find("invalid JSON"),
            std::string::npos);
}

TEST(HostilePredictions, ADuplicateIdIsRefusedWithBothLines) {
  test::TempDir dir;
  const auto path = dir.file("predictions.jsonl");
  std::ofstream(path) << R"({"id": "q1", "prediction": "a", "golden_answers": ["a"]})"
                      << "\n"
                      << R"({"id": "q2", "prediction": "b", "golden_answers": ["a"]})"
                      << "\n"
                      << R"({"id": "q1", "prediction": "b", "golden_answers": ["a"]})"
                      << "\n";
  const auto message = test::error_message([&] { eval::score_predictions(path); });
  EXPECT_NE(message.find(path + ":3: id 'q1' appears again (first at " + path + ":1)"),
            std::string::npos)
      << message;
}

// A trainer of `epochs` that checkpoints after every step into `dir`.
TrainerOptions checkpointed_every_step(const test::TempDir& dir, int64_t epochs) {
  TrainerOptions options;
  options.epochs = epochs;
  options.grad_accumulation = 1;
  options.checkpoint_every = 1;
  options.checkpoint_dir = dir.file("checkpoint");
  return options;
}

// A truncated optimizer checkpoint is named with the way out, not left to libtorch's reader.
TEST(HostileCheckpoint, ATruncatedOptimizerStateIsNamed) {
  test::TempDir dir;
  auto weight = torch::ones({4}, torch::requires_grad());
  auto options = checkpointed_every_step(dir, 1);
  const auto loss_of = [&](int64_t) { return ExampleLoss{(weight * weight).sum(), 4}; };
  Trainer(NamedTensors{{"w", weight}}, options, "run").train(2, loss_of);
  std::string optimizer;
  for (const auto& entry : std::filesystem::directory_iterator(options.checkpoint_dir)) {
    if (entry.path().filename().string().rfind("optimizer", 0) == 0) optimizer = entry.path();
  }
  ASSERT_FALSE(optimizer.empty());
  std::filesystem::resize_file(optimizer, std::filesystem::file_size(optimizer) / 2);
  options.epochs = 2;
  const auto message = test::error_message([&] {
    Trainer(NamedTensors{{"w", weight}}, options, "run").train(2, loss_of);
  });
  EXPECT_NE(message.find(optimizer + ": cannot read the optimizer state"), std::string::npos)
      << message;
}

// A checkpoint whose step lies outside the run, or whose weights are not finite, is refused
// with the way out (a step of -4 crashed; 10^9 skipped training).
TEST(HostileCheckpoint, AStepOutsideTheRunOrNonFiniteWeightsAreRefused) {
  test::TempDir dir;
  auto weight = torch::ones({4}, torch::requires_grad());
  const auto options = checkpointed_every_step(dir, 2);
  const auto loss_of = [&](int64_t) { return ExampleLoss{(weight * weight).sum(), 4}; };
  Trainer(NamedTensors{{"w", weight}}, options, "run").train(2, loss_of);
  const auto state_path = options.checkpoint_dir + "/state.json";
  const auto state = read_json_file(state_path);
  for (const int64_t step : {int64_t{-4}, int64_t{0}, int64_t{1000000000}}) {
    auto edited = state;
    edited["step"] = step;
    write_json_file_atomic(state_path, edited);
    const auto message = test::error_message([&] {
      Trainer(NamedTensors{{"w", weight}}, options, "run").train(2, loss_of);
    });
    EXPECT_NE(
        message.find(state_path + ": step " + std::to_string(step) + " is outside this run's 1..4"),
        std::string::npos)
        << message;
  }
  write_json_file_atomic(state_path, state);
  const auto weights = options.checkpoint_dir + "/" + state["weights"].get<std::string>();
  write_safetensors(weights, {{"w", torch::tensor({1.0f, NAN, 1.0f, 1.0f})}}, {});
  const auto message = test::error_message([&] {
    Trainer(NamedTensors{{"w", weight}}, options, "run").train(2, loss_of);
  });
  EXPECT_NE(message.find(weights + ": 'w' holds NaN or Inf"), std::string::npos) << message;
}

// A writer interrupted before it renamed its temporary file leaves it behind; the next write
// of the same file removes it.
TEST(HostileCheckpoint, AnInterruptedWritersTemporaryFileIsRemovedByTheNextWrite) {
  test::TempDir dir;
  const auto path = dir.file("scores.json");
  const auto stale = path + ".tmp.4999999";  // above Linux's largest pid: no such process
  std::ofstream(stale) << "{\"half";
  write_file_atomic(path, "{}");
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_EQ(read_json_file(path), Json::object());
}

// An output path that is a link, a pipe or a folder is refused, not replaced by a file.
TEST(HostileCheckpoint, AnOutputThatIsNoRegularFileIsLeftAlone) {
  test::TempDir dir;
  const auto target = dir.file("target.txt");
  std::ofstream(target) << "kept";
  const auto link = dir.file("link.txt");
  std::filesystem::create_symlink(target, link);
  std::filesystem::create_directories(dir.file("folder"));
  for (const auto& path : {link, dir.file("folder")}) {
    const auto message = test::error_message([&] { write_file_atomic(path, "new"); });
    EXPECT_EQ(message, path +
                           ": exists and is not a regular file (a folder, link, pipe or "
                           "device); kvchain writes only new or regular files");
  }
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(test::error_message([&] { write_file_atomic("", "x"); }), "an output path is empty");
}

}  // namespace
}  // namespace kvchain
