// Loaders for the public datasets, on hand-written samples of each format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/loaders/public_datasets.h"
#include "engine/io/atomic_file.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Loaders, FlashRagQa) {
  auto d = data::load_flashrag_qa(test::data_sample("nq_flashrag.jsonl"));
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.report.skipped, 0);
  EXPECT_EQ(d.records[0].golden_answers, std::vector<std::string>{"Wilhelm Conrad Röntgen"});
  EXPECT_EQ(d.records[1].metadata["source"], "nq");
  EXPECT_EQ(d.records[2].id, "2");
  EXPECT_THAT(d.records[2].golden_answers, ElementsAre("13", "thirteen"));
  EXPECT_EQ(d.records[0].to_json()["question"], "who got the first nobel prize in physics");
}

TEST(Loaders, CorpusIsStreamedWithTitles) {
  std::vector<data::CorpusPassage> passages;
  auto report =
      data::for_each_passage(test::data_sample("wiki_corpus.jsonl"), {},
                             [&](const data::CorpusPassage& p) { passages.push_back(p); });
  EXPECT_EQ(report.records, 3);
  ASSERT_EQ(passages.size(), 3u);
  EXPECT_EQ(passages[0].title, "Aaron");
  EXPECT_THAT(passages[0].text, HasSubstr("brother of Moses"));
  EXPECT_EQ(passages[1].title, "Nobel Prize in Physics");
  EXPECT_EQ(passages[2].title, "Wilhelm Röntgen");
  EXPECT_EQ(passages[2].text.rfind("Wilhelm Conrad", 0), 0u);
}

TEST(Loaders, StrategyQa) {
  auto d = data::load_strategyqa(test::data_sample("strategyqa.json"));
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].golden_answers, std::vector<std::string>{"yes"});
  EXPECT_EQ(d.records[1].golden_answers, std::vector<std::string>{"no"});
  EXPECT_EQ(d.records[0].id, "2c1a1bd1a0e9ec6e7a06");
  EXPECT_EQ(d.records[0].metadata["facts"].size(), 3u);
  EXPECT_EQ(d.records[0].metadata["decomposition"].size(), 3u);
}

TEST(Loaders, CommonsenseQa) {
  auto d = data::load_commonsenseqa(test::data_sample("commonsenseqa.jsonl"));
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].choices.size(), 5u);
  EXPECT_EQ(d.records[0].answer_key, "A");
  EXPECT_EQ(d.records[0].golden_answers, std::vector<std::string>{"ignore"});
  EXPECT_EQ(d.records[1].golden_answers, std::vector<std::string>{"populated areas"});
  EXPECT_EQ(d.records[1].to_json()["choices"][1]["label"], "B");
}

TEST(Loaders, TruthfulQaKeepsChoiceOrder) {
  auto d = data::load_truthfulqa_mc(test::data_sample("truthfulqa_mc.json"));
  ASSERT_EQ(d.records.size(), 2u);
  ASSERT_EQ(d.records[0].choices.size(), 4u);
  EXPECT_EQ(d.records[0].answer_key, "A");
  EXPECT_THAT(d.records[0].choices[1].text, HasSubstr("Vatican City"));
  EXPECT_EQ(d.records[1].golden_answers,
            std::vector<std::string>{"The watermelon seeds pass through your digestive system."});
}

TEST(Loaders, PubHealthJsonlAndTsv) {
  auto jsonl = data::load_pubhealth(test::data_sample("pubhealth.jsonl"));
  ASSERT_EQ(jsonl.records.size(), 3u);
  EXPECT_EQ(jsonl.records[0].golden_answers[0], "false");
  EXPECT_EQ(jsonl.records[1].golden_answers[0], "mixture");
  EXPECT_EQ(jsonl.records[2].golden_answers[0], "true");  // integer label 2
  EXPECT_EQ(jsonl.records[0].id, "15661");

  auto tsv = data::load_pubhealth(test::data_sample("pubhealth.tsv"));
  ASSERT_EQ(tsv.records.size(), 2u) << tsv.report.summary();
  EXPECT_EQ(tsv.records[0].question, "Annual Mammograms May Have More False-Positives");
  EXPECT_EQ(tsv.records[0].golden_answers[0], "mixture");
  EXPECT_EQ(tsv.records[1].golden_answers[0], "false");
  EXPECT_EQ(tsv.records[1].id, "9893");
}

TEST(Loaders, MalformedLinesAreSkippedAndNamed) {
  const auto path = test::data_sample("malformed_flashrag.jsonl");
  auto d = data::load_flashrag_qa(path);
  EXPECT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.report.skipped, 5);
  const auto summary = d.report.summary();
  EXPECT_THAT(summary, HasSubstr("malformed_flashrag.jsonl: 2 records, skipped 5"));
  EXPECT_THAT(summary, HasSubstr("malformed_flashrag.jsonl:2: invalid JSON"));
  EXPECT_THAT(summary, HasSubstr("malformed_flashrag.jsonl:3: missing field 'golden_answers'"));
  EXPECT_THAT(summary, HasSubstr(":4: field 'golden_answers': expected a list, got string"));
  EXPECT_THAT(summary, HasSubstr(":5: field 'golden_answers': empty answer list"));
  EXPECT_THAT(summary, HasSubstr(":6: field 'question': expected a string, got number"));
}

TEST(Loaders, StrictModeFailsOnTheFirstBadLine) {
  data::LoadOptions strict;
  strict.strict = true;
  EXPECT_THAT(test::error_message([&] {
                data::load_flashrag_qa(test::data_sample("malformed_flashrag.jsonl"), strict);
              }),
              HasSubstr("malformed_flashrag.jsonl:2: invalid JSON"));
}

TEST(Loaders, WrongFormatIsAnErrorNotAnEmptyDataset) {
  auto message =
      test::error_message([] { data::load_flashrag_qa(test::data_sample("commonsenseqa.jsonl")); });
  EXPECT_THAT(message, HasSubstr("no usable records"));
  EXPECT_THAT(message, HasSubstr("commonsenseqa.jsonl:1: field 'question': expected a string"));
  EXPECT_THAT(
      test::error_message([] { data::load_strategyqa(test::data_sample("nq_flashrag.jsonl")); }),
      HasSubstr("invalid JSON"));
  EXPECT_THAT(test::error_message([] { data::load_qa_dataset("squad", "x.json"); }),
              HasSubstr("unknown dataset format 'squad'"));
  EXPECT_THAT(test::error_message([] { data::load_flashrag_qa("/nonexistent.jsonl"); }),
              HasSubstr("/nonexistent.jsonl: cannot open file"));
}

TEST(Loaders, MultipleChoiceConsistencyIsChecked) {
  test::TempDir dir;
  write_file_atomic(
      dir.file("csqa.jsonl"),
      R"({"id":"q","answerKey":"F","question":{"stem":"s","choices":[{"label":"A","text":"a"}]}})"
      "\n"
      R"({"id":"r","answerKey":"A","question":{"stem":"s","choices":[{"label":"A","text":"a"}]}})"
      "\n");
  auto csqa = data::load_commonsenseqa(dir.file("csqa.jsonl"));
  EXPECT_EQ(csqa.records.size(), 1u);
  EXPECT_THAT(csqa.report.summary(),
              HasSubstr("csqa.jsonl:1: field 'answerKey': 'F' is not one of the choice labels"));

  write_file_atomic(dir.file("tqa.json"), R"([{"question":"q","mc1_targets":{"a":1,"b":1}},
                                              {"question":"r","mc1_targets":{"a":0,"b":1}}])");
  auto tqa = data::load_truthfulqa_mc(dir.file("tqa.json"));
  EXPECT_EQ(tqa.records.size(), 1u);
  EXPECT_THAT(tqa.report.summary(),
              HasSubstr("item 0: field 'mc1_targets': more than one correct choice"));

  write_file_atomic(dir.file("ph.jsonl"),
                    "{\"claim\":\"c\",\"label\":-1}\n{\"claim\":\"d\",\"label\":\"true\"}\n");
  auto ph = data::load_pubhealth(dir.file("ph.jsonl"));
  EXPECT_THAT(ph.report.summary(), HasSubstr("ph.jsonl:1: field 'label': -1 is not one of"));
}

}  // namespace
}  // namespace kvchain
