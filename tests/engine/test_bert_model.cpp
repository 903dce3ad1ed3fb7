// kvchain's BERT-family encoder against Hugging Face transformers' own outputs for two
// random-weight fixtures (tests/samples/bert/, made by tests/gpu/make_bert_fixture.py): a BERT
// read through its WordPiece tokenizer, and an XLM-R fed ids (positions after the padding id),
// each as one padded batch, in float32.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/model/bert_model.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

constexpr double kTolerance = 1e-4;

Json reference() {
  return read_json_file(test::data_sample("bert/reference.json"));
}

// The rows as one right-padded batch: ids padded with `pad`, and where the real tokens are.
std::pair<torch::Tensor, torch::Tensor> padded(const std::vector<std::vector<int64_t>>& rows,
                                               int64_t pad) {
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.size());
  auto ids = torch::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(width)}, pad,
                         torch::kInt64);
  auto real = torch::zeros(ids.sizes(), torch::kBool);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto n = static_cast<int64_t>(rows[r].size());
    ids[r].narrow(0, 0, n).copy_(torch::tensor(rows[r], torch::kInt64));
    real[r].narrow(0, 0, n).fill_(true);
  }
  return {ids, real};
}

// Each row's hidden states (its real tokens) against the reference's.
void expect_hidden_states_match(const BertModel& model, const Json& cases) {
  std::vector<std::vector<int64_t>> rows;
  for (const auto& c : cases) rows.push_back(c.at("ids").get<std::vector<int64_t>>());
  const auto [ids, real] = padded(rows, model.config().pad_token_id);
  const auto hidden = model.forward(ids, real).cpu();
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto mine = hidden[r].narrow(0, 0, static_cast<int64_t>(rows[r].size()));
    EXPECT_LT(test::max_abs_diff(mine, test::json_tensor(cases[r].at("hidden"))), kTolerance)
        << "row " << r;
  }
}

TEST(BertModel, HiddenStatesMatchTransformers) {
  const auto ref = reference();
  const auto model =
      BertModel::load(test::data_sample("bert/bert"), test::test_device(), torch::kFloat32);
  EXPECT_EQ(model.config().model_type, "bert");
  expect_hidden_states_match(model, ref.at("texts"));
}

TEST(BertModel, XlmRobertaPositionsStartAfterThePaddingId) {
  const auto ref = reference();
  const auto model =
      BertModel::load(test::data_sample("bert/xlmr"), test::test_device(), torch::kFloat32);
  EXPECT_TRUE(model.config().roberta_positions());
  EXPECT_EQ(model.config().pad_token_id, 1);
  expect_hidden_states_match(model, ref.at("xlmr"));
}

// The tokenizer beside the checkpoint gives the ids HF's gave the encoder ([CLS] ... [SEP]).
TEST(BertModel, TokenizerGivesTheReferenceIds) {
  const auto tokenizer = load_tokenizer_beside(test::data_sample("bert/bert"), "the test");
  for (const auto& c : reference().at("texts")) {
    EXPECT_EQ(tokenizer.encode_with_special_tokens(c.at("text").get<std::string>()),
              c.at("ids").get<std::vector<int64_t>>())
        << c.at("text");
  }
}

TEST(BertModel, AWrongShapeOrActivationIsRefusedByName) {
  test::TempDir dir;
  const auto source = test::data_sample("bert/xlmr");
  std::filesystem::copy(source, dir.path(), std::filesystem::copy_options::recursive);
  auto config = read_json_file(dir.file("config.json"));
  config["intermediate_size"] = 48;
  write_json_file_atomic(dir.file("config.json"), config);
  EXPECT_THAT(test::error_message([&] { BertModel::load(dir.path().string(), torch::kCPU); }),
              ::testing::HasSubstr("encoder.layer.0.intermediate.dense.bias' has shape [64] but "
                                   "config.json implies [48]"));
  config["intermediate_size"] = 64;
  config["hidden_act"] = "relu";
  write_json_file_atomic(dir.file("config.json"), config);
  EXPECT_THAT(test::error_message([&] { BertModel::load(dir.path().string(), torch::kCPU); }),
              ::testing::HasSubstr("hidden_act 'relu' is not supported"));
}

}  // namespace
}  // namespace kvchain
