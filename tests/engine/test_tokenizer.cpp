// Byte-level BPE against HF tokenizers' outputs, and the BPE trainer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "engine/tokenizer/bpe_trainer.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const Tokenizer& fixture_tokenizer() {
  static const Tokenizer tokenizer =
      Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  return tokenizer;
}

TEST(Tokenizer, EveryFixtureCaseMatchesHuggingFace) {
  const auto cases = read_json_file(test::tiny_llama_dir() + "/tokenizer_cases.json");
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    const auto text = c["text"].get<std::string>();
    const auto ids = c["ids"].get<std::vector<int64_t>>();
    EXPECT_EQ(fixture_tokenizer().encode(text), ids) << "encoding " << c["text"].dump();
    EXPECT_EQ(fixture_tokenizer().decode(ids), c["decoded"].get<std::string>())
        << "decoding " << c["text"].dump();
  }
}

TEST(Tokenizer, SpecialTokensAreMatchedWhole) {
  const auto& tok = fixture_tokenizer();
  auto ids = tok.encode("<|begin_of_text|>Hello<|end_of_text|>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 1);
  EXPECT_EQ(tok.decode(ids), "<|begin_of_text|>Hello<|end_of_text|>");
  EXPECT_EQ(tok.token_id("<|end_of_text|>"), 1);
}

TEST(Tokenizer, InvalidUtf8IsReplacedNotFatal) {
  const auto& tok = fixture_tokenizer();
  const std::string bad = "ok \xff\xfe and a cut \xe6\x97";
  EXPECT_EQ(tok.encode(bad), tok.encode("ok \xEF\xBF\xBD\xEF\xBF\xBD and a cut \xEF\xBF\xBD"));
  // Decoding half of a multi-byte character yields U+FFFD rather than broken UTF-8.
  auto robot = tok.encode("\xf0\x9f\xa4\x96");
  ASSERT_GT(robot.size(), 1u);
  EXPECT_EQ(tok.decode({robot.front()}), "\xEF\xBF\xBD");
}

TEST(Tokenizer, OutOfRangeIdIsAClearError) {
  EXPECT_THAT(test::error_message([] {
                fixture_tokenizer().decode({5, 100000});
              }),
              StartsWith("tokenizer: id 100000 is outside the vocabulary (size "));
}

TEST(Tokenizer, MalformedTokenizerJsonNamesTheField) {
  test::TempDir dir;
  auto json = read_json_file(test::tiny_llama_dir() + "/tokenizer.json");
  json["model"]["type"] = "Unigram";
  write_json_file_atomic(dir.file("tokenizer.json"), json);
  EXPECT_EQ(test::error_message([&] { Tokenizer::from_file(dir.file("tokenizer.json")); }),
            dir.file("tokenizer.json") +
                ": model.type 'Unigram' is not supported (kvchain supports BPE and WordPiece)");
}

// tests/samples/tokenizers/: the tokenizer.json of five models as npm ships them (Llama 3,
// "llama2" (Mistral 7B's vocabulary in Llama 2's layout), Qwen3, Gemma 3, DeepSeek-V3), each
// shrunk to about 1,500 merges with every other component as it is, bert-base-uncased's
// WordPiece (dev/tokenizers/make_bert.js) cut to the cases' words, and three synthetic ones
// (added-token flags; NFKC, Prepend, a Replace regex, Digits and a MergedWithNext split;
// Metaspace), with HF tokenizers' ids and decoded text for each case
// (dev/tokenizers/compare_hf.sh). A component read wrongly moves ids on dozens of cases.
class HfTokenizer : public ::testing::TestWithParam<const char*> {};

TEST_P(HfTokenizer, EncodesAndDecodesAsHuggingFace) {
  const auto dir = test::data_sample(std::string("tokenizers/") + GetParam());
  const auto tokenizer = Tokenizer::from_file(dir + "/tokenizer.json");
  const auto cases = test::read_jsonl(dir + "/cases.jsonl");
  ASSERT_GE(cases.size(), 150u);
  int64_t encoded_otherwise = 0, decoded_otherwise = 0;
  for (const auto& c : cases) {
    const auto text = c.at("text").get<std::string>();
    const auto ids = c.at("ids").get<std::vector<int64_t>>();
    const auto encoded = tokenizer.encode(text);
    if (encoded != ids && encoded_otherwise++ < 3) {
      ADD_FAILURE() << GetParam() << " encodes " << Json(text).dump() << " otherwise";
    }
    if (tokenizer.decode(ids) != c.at("decoded").get<std::string>() && decoded_otherwise++ < 3) {
      ADD_FAILURE() << GetParam() << " decodes the ids of " << Json(text).dump() << " otherwise";
    }
  }
  EXPECT_EQ(encoded_otherwise, 0);
  EXPECT_EQ(decoded_otherwise, 0);
}

INSTANTIATE_TEST_SUITE_P(Npm, HfTokenizer,
                         ::testing::Values("llama3", "llama2", "qwen3", "gemma3", "deepseek_v3",
                                           "bert", "flags", "normalizers", "metaspace"));

// BERT's post-processor puts [CLS] (101) and [SEP] (102) around the text for an encoder, and
// encode() alone never adds them.
TEST(Tokenizer, PostProcessorWrapsTheTextInItsSpecialTokens) {
  const auto tokenizer = Tokenizer::from_file(test::data_sample("tokenizers/bert/tokenizer.json"));
  const auto ids = tokenizer.encode("The cat sat.");
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(ids.front(), 101);
  auto wrapped = ids;
  wrapped.insert(wrapped.begin(), 101);
  wrapped.push_back(102);
  EXPECT_EQ(tokenizer.encode_with_special_tokens("The cat sat."), wrapped);
}

TEST(Tokenizer, UnsupportedComponentsAreRefusedByName) {
  const auto base = read_json_file(test::data_sample("tokenizers/qwen3/tokenizer.json"));
  const auto refusal = [&](const char* key, const Json& value) {
    auto json = base;
    json[key] = value;
    return test::error_message([&] { Tokenizer::from_json(json, "tokenizer.json"); });
  };
  EXPECT_EQ(refusal("normalizer", {{"type", "Precompiled"}}),
            "tokenizer.json: normalizer: unsupported normalizer 'Precompiled' (kvchain "
            "supports NFC, NFD, NFKC, NFKD, Prepend, Replace, BertNormalizer, Lowercase, "
            "StripAccents and Sequence)");
  EXPECT_EQ(refusal("pre_tokenizer",
                    {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Punctuation"}}}}}),
            "tokenizer.json: pre_tokenizer.pretokenizers[0]: unsupported pre_tokenizer "
            "'Punctuation' (kvchain supports Split, ByteLevel, Metaspace, Digits, "
            "BertPreTokenizer, Whitespace, WhitespaceSplit and Sequence)");
  EXPECT_EQ(refusal("decoder", {{"type", "CTC"}}),
            "tokenizer.json: decoder: unsupported decoder 'CTC' (kvchain supports "
            "ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, WordPiece and Sequence)");
  EXPECT_EQ(refusal("post_processor", {{"type", "Unknown"}}),
            "tokenizer.json: post_processor: unsupported post_processor 'Unknown' (kvchain "
            "supports TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and "
            "Sequence)");
  auto affix = base;
  affix["model"]["continuing_subword_prefix"] = "##";
  EXPECT_EQ(test::error_message([&] { Tokenizer::from_json(affix, "tokenizer.json"); }),
            "tokenizer.json: model.continuing_subword_prefix is not supported (only \"\" or "
            "null)");
}

std::vector<std::string> isolated(const TextPattern& pattern, const std::string& text) {
  std::vector<std::string> pieces;
  for (const auto& [begin, end] :
       split_spans(pattern.spans(text), SplitBehavior::kIsolated, false)) {
    pieces.push_back(text.substr(begin, end - begin));
  }
  return pieces;
}

TEST(TextPattern, WhitespaceRunGivesBackItsLastSpace) {
  // Oniguruma's split of "a   b  " with this look-ahead pattern: the run before "b" stops one
  // short, so the last space becomes its own piece; the trailing run is kept whole.
  const auto pattern = TextPattern::regex(R"(\s+(?!\S)|\s+|\S+)", "test");
  EXPECT_EQ(isolated(pattern, "a   b  "), (std::vector<std::string>{"a", "  ", " ", "b", "  "}));
}

TEST(TextPattern, RejectsGeneralLookAround) {
  EXPECT_EQ(test::error_message([] { TextPattern::regex("a(?=b)", "tokenizer.json"); }),
            "tokenizer.json: regex look-around is not supported except the '\\s+(?!\\S)|\\s+' "
            "idiom: a(?=b)");
}

std::string training_corpus() {
  std::ostringstream text;
  const char* subjects[] = {"The compressor", "A reader", "The QA model", "Each member"};
  const char* verbs[] = {"shares", "reads", "writes", "reuses"};
  const char* objects[] = {"the KV cache", "hidden states", "soft prompts", "retrieved text"};
  for (int i = 0; i < 400; ++i) {
    text << subjects[i % 4] << ' ' << verbs[(i / 4) % 4] << ' ' << objects[(i / 16) % 4] << " in "
         << (1900 + i) << ".\n";
  }
  text << "naïve café 日本語 🤖\n";
  return text.str();
}

Tokenizer train(int64_t vocab_size) {
  std::istringstream corpus(training_corpus());
  BpeTrainerOptions options;
  options.vocab_size = vocab_size;
  return train_bpe(corpus, options);
}

TEST(BpeTrainer, LearnsDeterministicVocabularyOfRequestedSize) {
  auto a = train(360);
  auto b = train(360);
  EXPECT_EQ(a.vocab_size(), 360);
  EXPECT_EQ(a.to_json(), b.to_json());
  // Frequent words end up as single tokens.
  EXPECT_EQ(a.encode(" cache").size(), 1u);
  EXPECT_TRUE(a.token_id("<|end_of_text|>").has_value());
}

TEST(BpeTrainer, SavedVocabularyRoundTripsAnyText) {
  auto trained = train(360);
  test::TempDir dir;
  trained.save(dir.file("tokenizer.json"));
  auto loaded = Tokenizer::from_file(dir.file("tokenizer.json"));
  const auto cases = read_json_file(test::tiny_llama_dir() + "/tokenizer_cases.json");
  for (const auto& c : cases) {
    const auto text = c["text"].get<std::string>();
    const auto ids = trained.encode(text);
    EXPECT_EQ(loaded.encode(text), ids) << text;
    EXPECT_EQ(loaded.decode(ids), text) << text;
  }
  // The file is in Hugging Face's layout.
  auto json = read_json_file(dir.file("tokenizer.json"));
  EXPECT_EQ(json["model"]["type"], "BPE");
  EXPECT_TRUE(json["model"]["merges"][0].is_array());
  EXPECT_EQ(json["decoder"]["type"], "ByteLevel");
}

TEST(BpeTrainer, RejectsVocabularySmallerThanTheByteAlphabet) {
  EXPECT_THAT(test::error_message([] { train(100); }),
              StartsWith("train_bpe: vocab_size 100 cannot hold the 256 byte symbols and "));
}

}  // namespace
}  // namespace kvchain
