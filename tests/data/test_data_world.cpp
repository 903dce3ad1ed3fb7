// The embedded synthetic world: determinism, answerability, no leakage between splits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "data/world/generate.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::AnyOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One generated world shared by the tests of this file (generation takes well under a second).
class WorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    std::ostringstream progress;
    data::generate_dataset(dir_->path().string(), {11, 1}, progress);
    corpus_ = new std::map<std::string, std::string>();
    for (const auto& p : test::read_jsonl(dir_->file("corpus.jsonl"))) {
      (*corpus_)[p["id"]] = p["contents"];
    }
  }
  static void TearDownTestSuite() {
    delete corpus_;
    delete dir_;
  }
  static std::vector<Json> records(const std::string& task, const std::string& split) {
    return test::read_jsonl(dir_->file(task + "/" + split + ".jsonl"));
  }
  static std::vector<Json> all_records(const std::string& task) {
    std::vector<Json> all;
    for (const char* split : {"train", "dev", "test"}) {
      auto part = records(task, split);
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
  static const std::string& contents(const Json& passage_id) {
    auto it = corpus_->find(passage_id.get<std::string>());
    if (it == corpus_->end()) throw Error("no passage " + passage_id.dump());
    return it->second;
  }
  static test::TempDir* dir_;
  static std::map<std::string, std::string>* corpus_;
};
test::TempDir* WorldTest::dir_ = nullptr;
std::map<std::string, std::string>* WorldTest::corpus_ = nullptr;

TEST(World, SameSeedGivesByteIdenticalFilesAndOtherSeedsDiffer) {
  test::TempDir a, b, c;
  std::ostringstream progress;
  data::generate_dataset(a.path().string(), {42, 1}, progress);
  data::generate_dataset(b.path().string(), {42, 1}, progress);
  data::generate_dataset(c.path().string(), {43, 1}, progress);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(a.path())) {
    if (!entry.is_regular_file()) continue;
    const auto relative = fs::relative(entry.path(), a.path());
    EXPECT_EQ(read_bytes(entry.path()), read_bytes(b.path() / relative)) << relative;
    ++files;
  }
  // corpus, pretrain, reading, documents, probe, manifest; 5 tasks x 3 splits
  EXPECT_EQ(files, 6 + 5 * 3);
  EXPECT_NE(read_bytes(a.path() / "corpus.jsonl"), read_bytes(c.path() / "corpus.jsonl"));
}

TEST(World, CopyPracticeSaysEachFreshListTwice) {
  test::TempDir dir;
  std::ostringstream progress;
  data::GenerateOptions options{3, 1};
  options.copy_lines = 200;
  data::generate_dataset(dir.path().string(), options, progress);
  std::istringstream lines(read_bytes(dir.path() / "copy.txt"));
  const std::regex said_twice(
      "(The list is |Names: |Remember |The guests were )((?:[A-Z][a-z]+ ?){2,10})\\. "
      "(Once more, the list is |Again, the names are |Repeat after me: |I said the guests "
      "were )\\2\\.");
  std::set<std::string> lists;
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, said_twice)) << line;
    lists.insert(match[2]);
  }
  EXPECT_EQ(count, 200);
  EXPECT_GT(lists.size(), 195u);  // fresh lists, not a few repeated ones
  EXPECT_EQ(read_json_file(dir.file("manifest.json"))["copy_lines"].get<int>(), 200);
}

// The generic reading that pretrains a base holds no chain's layout: no task's tag, prompt
// marker or answer marker, and none of the probe's unseen layout's cues. Every probe item is
// answerable by reading its own context, in each of the five layouts.
TEST_F(WorldTest, ReadingDocumentsHoldNoChainLayoutAndTheProbeIsAnswerable) {
  const auto documents = read_bytes(dir_->path() / "documents.jsonl");
  for (const char* marker :
       {"<retrieved>", "<compressed>", "<answer_start>", "<query_rewrite>", "<memory_start>",
        "<reason_start>", "<plan_start>", "<extracted>", "<copy>", "[The answer is]",
        "Question: ", "Options:", "[notes]", "[inquiry]", "[response]"}) {
    EXPECT_EQ(documents.find(marker), std::string::npos) << marker;
  }
  // Square brackets are the unseen layout's style: no cue or heading uses them; they occur only
  // as citation marks after a sentence ("1921.[3]"), so the base knows the characters.
  const std::regex bracket(R"(.{0,2}\[[^\]]*\]?)");
  int citations = 0;
  for (auto it = std::sregex_iterator(documents.begin(), documents.end(), bracket);
       it != std::sregex_iterator(); ++it, ++citations) {
    EXPECT_TRUE(std::regex_match(it->str(), std::regex(R"(.?\.\[[0-9]+\])"))) << it->str();
  }
  EXPECT_GT(citations, 50);
  const auto manifest = read_json_file(dir_->file("manifest.json"));
  const auto lines = test::read_jsonl(dir_->file("documents.jsonl"));
  EXPECT_EQ(manifest["documents"].get<size_t>(), lines.size());
  // Every passage as prose, and a reading document per question, in seven shapes.
  EXPECT_GT(lines.size(), corpus_->size() * 3);
  for (const char* cue : {"Q: ", "A: ", "name | ", "Let me read it out.", "Which sentence says"}) {
    EXPECT_NE(documents.find(cue), std::string::npos) << cue;
  }
  std::map<std::string, int> layouts;
  std::vector<std::string> compared;  // the comparison items' prompts, in order
  for (const auto& item : test::read_jsonl(dir_->file("probe.jsonl"))) {
    const auto prompt = item["prompt"].get<std::string>();
    const auto layout = item["layout"].get<std::string>();
    ++layouts[layout];
    EXPECT_NE(prompt.back(), ' ') << layout;
    if (layout == "spelled_comparison") {
      // The comparison item of its place, asked for both values first: each of the two names
      // with its value as the passages state it, then the one of them that comes first.
      const std::regex which(
          R"(\nQ: (?:Which|Who) .*, (.+) or (.+)\? Give both (?:years|populations) first\.\nA:$)");
      std::smatch names;
      ASSERT_TRUE(std::regex_search(prompt, names, which)) << prompt;
      const auto plain = compared.at(layouts[layout] - 1);
      EXPECT_EQ(plain.substr(0, names.position(0)), prompt.substr(0, names.position(0)));
      const std::regex spelled("(.+) (\\S+), (.+) (\\S+), so (.+)");
      std::smatch parts;
      const auto answer = item["answers"][0].get<std::string>();
      ASSERT_TRUE(std::regex_match(answer, parts, spelled)) << answer;
      EXPECT_EQ(parts[1].str(), names[1].str());
      EXPECT_EQ(parts[3].str(), names[2].str());
      EXPECT_THAT(parts[5].str(), AnyOf(names[1].str(), names[2].str()));
      EXPECT_THAT(prompt, HasSubstr(parts[2].str()));
      EXPECT_THAT(prompt, HasSubstr(parts[4].str()));
      continue;
    }
    if (layout == "claim_check") {
      EXPECT_THAT(prompt, HasSubstr("\nQ: True or false: "));
      EXPECT_THAT(prompt, EndsWith("\nA:"));
      EXPECT_THAT(item["answers"][0].get<std::string>(), AnyOf("true", "false"));
      continue;
    }
    EXPECT_THAT(prompt, HasSubstr(item["answers"][0].get<std::string>())) << layout;
    if (layout == "comparison") {
      // The answer is one of the two the question names, both of whose facts the passages show.
      const std::regex which(R"(\nQ: (Which|Who) .*, (.+) or (.+)\?\nA:$)");
      std::smatch names;
      ASSERT_TRUE(std::regex_search(prompt, names, which)) << prompt;
      EXPECT_THAT(item["answers"][0].get<std::string>(), AnyOf(names[2].str(), names[3].str()));
      compared.push_back(prompt);
    }
    if (layout == "unseen") {
      EXPECT_THAT(prompt, HasSubstr("\n[inquiry] "));
      EXPECT_THAT(prompt, EndsWith("\n[response]"));
    }
  }
  EXPECT_EQ(layouts, (std::map<std::string, int>{{"claim_check", 40},
                                                 {"comparison", 40},
                                                 {"gap", 40},
                                                 {"list", 40},
                                                 {"passages_then_question", 40},
                                                 {"question_first", 40},
                                                 {"spelled_comparison", 40},
                                                 {"unseen", 40}}));
}

// The reading varieties a base's stages go through (plain forms first) change documents.jsonl
// only: fixed styles use none of the drawn marks and no citations, drawn styles the marks
// without citations, cited both. Every other file of the world is the same.
TEST(World, ReadingVarietiesDifferInTheirDocumentsOnly) {
  std::map<data::ReadingVariety, std::string> documents;
  test::TempDir cited;
  std::ostringstream progress;
  data::generate_dataset(cited.path().string(), {5, 1}, progress);
  for (const auto variety : {data::ReadingVariety::kFixedStyles, data::ReadingVariety::kDrawnStyles,
                             data::ReadingVariety::kCited, data::ReadingVariety::kChecked,
                             data::ReadingVariety::kCompared, data::ReadingVariety::kSpelled}) {
    test::TempDir dir;
    data::GenerateOptions options{5, 1};
    options.reading = variety;
    data::generate_dataset(dir.path().string(), options, progress);
    documents[variety] = read_bytes(dir.path() / "documents.jsonl");
    EXPECT_EQ(read_json_file(dir.file("manifest.json"))["reading"],
              data::reading_variety_name(variety));
    for (const char* file :
         {"corpus.jsonl", "pretrain.txt", "probe.jsonl", "rewrite_qa/test.jsonl"}) {
      EXPECT_EQ(read_bytes(dir.path() / file), read_bytes(cited.path() / file)) << file;
    }
  }
  EXPECT_EQ(documents[data::ReadingVariety::kCited], read_bytes(cited.path() / "documents.jsonl"));
  const auto count = [](const std::string& text, const char* characters) {
    return std::count_if(text.begin(), text.end(),
                         [&](char c) { return std::strchr(characters, c) != nullptr; });
  };
  const char* drawn_marks = "~@^$&";
  EXPECT_EQ(count(documents[data::ReadingVariety::kFixedStyles], drawn_marks), 0);
  EXPECT_EQ(count(documents[data::ReadingVariety::kFixedStyles], "[]"), 0);
  EXPECT_GT(count(documents[data::ReadingVariety::kDrawnStyles], drawn_marks), 100);
  EXPECT_EQ(count(documents[data::ReadingVariety::kDrawnStyles], "[]"), 0);
  EXPECT_GT(count(documents[data::ReadingVariety::kCited], "[]"), 100);
  EXPECT_GT(count(documents[data::ReadingVariety::kChecked], "[]"), 100);
  // How often a variety's documents hold `words`.
  const auto occurrences = [&](data::ReadingVariety variety, const std::string& words) {
    const auto& text = documents[variety];
    size_t n = 0;
    for (auto at = text.find(words); at != std::string::npos; at = text.find(words, at + 1)) ++n;
    return n;
  };
  const auto claims = [&](data::ReadingVariety variety) {
    return occurrences(variety, "True or false");
  };
  EXPECT_EQ(claims(data::ReadingVariety::kCited), 0u);
  EXPECT_GT(claims(data::ReadingVariety::kChecked), 20u);
  EXPECT_EQ(claims(data::ReadingVariety::kCompared), 0u);
  const auto comparisons = [&](data::ReadingVariety variety) {
    const std::regex asked(R"((earlier|first|larger population), .+ or .+\?|before .+\?)");
    const auto& text = documents[variety];
    return std::distance(std::sregex_iterator(text.begin(), text.end(), asked),
                         std::sregex_iterator());
  };
  EXPECT_GT(comparisons(data::ReadingVariety::kCompared),
            3 * comparisons(data::ReadingVariety::kCited));
  EXPECT_GT(comparisons(data::ReadingVariety::kSpelled),
            3 * comparisons(data::ReadingVariety::kCited));
  EXPECT_GT(claims(data::ReadingVariety::kSpelled), 5u);
  // A spelled comparison's question ends " Give both years first." before its line's end.
  const auto spelled = [&](data::ReadingVariety variety) {
    return occurrences(variety, " first.\\n");
  };
  EXPECT_EQ(spelled(data::ReadingVariety::kCompared), 0u);
  EXPECT_GT(spelled(data::ReadingVariety::kSpelled), 10u);
  EXPECT_THROW(data::parse_reading_variety("plain"), Error);
}

// A claim check's verdict is the world's: "true" exactly where the statement is a paraphrase of
// one of its facts, and about half of the claims are false.
TEST_F(WorldTest, ClaimChecksAreJudgedByTheWorld) {
  data::Rng root(11);  // the fixture's world: seed 11, scale 1
  const auto e = data::draw_encyclopedia(root, 1);
  std::set<std::string> true_statements;
  for (const auto& f : e.facts()) {
    for (auto& s : data::paraphrases(f.relation, f.subject, f.object)) true_statements.insert(s);
  }
  const std::string ask = "\nQ: True or false: ";
  size_t claims = 0, held = 0;
  for (const auto& item : test::read_jsonl(dir_->file("probe.jsonl"))) {
    if (item["layout"] != "claim_check") continue;
    const auto prompt = item["prompt"].get<std::string>();
    const auto begin = prompt.rfind(ask) + ask.size();
    const auto statement = prompt.substr(begin, prompt.rfind("\nA:") - begin);
    const bool holds = true_statements.count(statement) > 0;
    EXPECT_EQ(item["answers"][0], holds ? "true" : "false") << statement;
    ++claims;
    held += holds;
  }
  EXPECT_EQ(claims, 40u);
  EXPECT_GT(held, 10u);
  EXPECT_LT(held, 30u);
}

// The world of seed 11 at scale 1 with reading documents of `variety`, written into `dir`, and
// the value each (relation, subject) has where its object is a number (a year, a population).
std::map<std::pair<data::Relation, std::string>, int64_t> numeric_facts(
    const test::TempDir& dir, data::ReadingVariety variety) {
  data::GenerateOptions options{11, 1};
  options.reading = variety;
  std::ostringstream progress;
  data::generate_dataset(dir.path().string(), options, progress);
  data::Rng root(11);
  const auto e = data::draw_encyclopedia(root, 1);
  std::map<std::pair<data::Relation, std::string>, int64_t> value;
  for (const auto& f : e.facts()) {
    std::string digits;
    for (const char c : f.object) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (!digits.empty()) value[{f.relation, f.subject}] = std::stoll(digits);
  }
  return value;
}

// A compared world's comparisons are the world's: asked as a choice, the answer named is the
// one that came first (or is larger); asked as yes or no, yes exactly where the first named did.
TEST(World, ComparisonsAreAnsweredByTheWorld) {
  test::TempDir dir;
  const auto value = numeric_facts(dir, data::ReadingVariety::kCompared);
  struct Asked {
    std::string pattern;  // $1 and $2 the subjects, $3 the answer after a cue
    data::Relation relation;
    bool smaller_wins;
    bool choice;
  };
  const auto choice = [](const std::string& words) {
    return words + R"(, (.+) or (.+)\?\n\S+ (.+)\n)";
  };
  const auto yes_no = [](const std::string& words) {
    return R"((?:Was|Does) (.+) )" + words + R"( (.+)\?\n\S+ (yes|no)\n)";
  };
  const Asked kinds[] = {
      {choice("Who was born earlier"), data::Relation::kBirthYear, true, true},
      {choice("Which was founded first"), data::Relation::kFounded, true, true},
      {choice("Which was released first"), data::Relation::kReleased, true, true},
      {choice("Which has the larger population"), data::Relation::kPopulation, false, true},
      {yes_no("born before"), data::Relation::kBirthYear, true, false},
      {yes_no("founded before"), data::Relation::kFounded, true, false},
      {yes_no("released before"), data::Relation::kReleased, true, false},
      {yes_no("have more people than"), data::Relation::kPopulation, false, false}};
  int choices = 0, verdicts = 0;
  for (const auto& line : test::read_jsonl(dir.file("documents.jsonl"))) {
    const auto document = line["text"].get<std::string>();
    for (const auto& kind : kinds) {
      const std::regex asked(kind.pattern);
      for (auto it = std::sregex_iterator(document.begin(), document.end(), asked);
           it != std::sregex_iterator(); ++it) {
        const auto a = (*it)[1].str(), b = (*it)[2].str(), answer = (*it)[3].str();
        const auto va = value.at({kind.relation, a}), vb = value.at({kind.relation, b});
        EXPECT_NE(va, vb) << (*it)[0].str();
        const bool first = kind.smaller_wins ? va < vb : va > vb;
        if (!kind.choice) {
          EXPECT_EQ(answer, first ? "yes" : "no") << (*it)[0].str();
          ++verdicts;
        } else if (answer == a || answer == b) {  // not a title or a dialogue's reading
          EXPECT_EQ(answer, first ? a : b) << (*it)[0].str();
          ++choices;
        }
      }
    }
  }
  EXPECT_GT(choices, 100);
  EXPECT_GT(verdicts, 100);
}

// A spelled world's spelled comparisons give both subjects' values as the world states them,
// in the order the question names them, then the choice (or the yes or no) that follows.
TEST(World, SpelledComparisonsGiveTheWorldsValuesThenTheChoice) {
  test::TempDir dir;
  const auto value = numeric_facts(dir, data::ReadingVariety::kSpelled);
  data::Rng root(11);
  const auto e = data::draw_encyclopedia(root, 1);
  std::map<std::pair<data::Relation, std::string>, std::string> object;
  for (const auto& f : e.facts()) {
    object[{f.relation, f.subject}] = f.object;
  }
  struct Spelled {
    std::regex pattern;  // $1 and $2 the subjects, $3 the answer's line (its cue, then it)
    data::Relation relation;
    bool choice;
  };
  const auto form = [](const std::string& question, data::Relation relation, bool choice) {
    return Spelled{std::regex(question + R"(\? Give both (?:years|populations) first\.\n(.+)\n)"),
                   relation, choice};
  };
  const Spelled forms[] = {
      form("Who was born earlier, (.+) or (.+)", data::Relation::kBirthYear, true),
      form("Which was founded first, (.+) or (.+)", data::Relation::kFounded, true),
      form("Which was released first, (.+) or (.+)", data::Relation::kReleased, true),
      form("Which has the larger population, (.+) or (.+)", data::Relation::kPopulation, true),
      form("Was (.+) born before (.+)", data::Relation::kBirthYear, false),
      form("Was (.+) founded before (.+)", data::Relation::kFounded, false),
      form("Was (.+) released before (.+)", data::Relation::kReleased, false),
      form("Does (.+) have more people than (.+)", data::Relation::kPopulation, false)};
  int choices = 0, verdicts = 0;
  for (const auto& line : test::read_jsonl(dir.file("documents.jsonl"))) {
    const auto document = line["text"].get<std::string>();
    for (const auto& spelled : forms) {
      for (auto it = std::sregex_iterator(document.begin(), document.end(), spelled.pattern);
           it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        const auto a = m[1].str(), b = m[2].str();
        const auto &oa = object.at({spelled.relation, a}), &ob = object.at({spelled.relation, b});
        const bool a_first = data::comes_first(spelled.relation, value.at({spelled.relation, a}),
                                               value.at({spelled.relation, b}));
        const std::string verdict = spelled.choice ? (a_first ? a : b) : (a_first ? "yes" : "no");
        const auto expected = " " + a + " " + oa + ", " + b + " " + ob + ", so " + verdict;
        const auto answer_line = m[3].str();
        EXPECT_TRUE(answer_line.size() > expected.size() &&
                    answer_line.compare(answer_line.size() - expected.size(), expected.size(),
                                        expected) == 0)
            << m[0].str();
        ++(spelled.choice ? choices : verdicts);
      }
    }
  }
  EXPECT_GT(choices, 20);
  EXPECT_GT(verdicts, 5);
}

// A reading document asks several questions of its context, and every answer is a lookup:
// written in the context before it is asked for.
TEST_F(WorldTest, ReadingDocumentsAskSeveralQuestionsAnsweredFromTheirContext) {
  size_t with_cues = 0, with_follow_ups = 0, answers = 0;
  for (const auto& line : test::read_jsonl(dir_->file("documents.jsonl"))) {
    const auto text = line["text"].get<std::string>();
    if (text.rfind("Q: ", 0) != 0 && text.find("\nQ: ") == std::string::npos) continue;
    ++with_cues;
    size_t asked = 0;
    for (auto at = text.find("\nA: "); at != std::string::npos; at = text.find("\nA: ", at + 1)) {
      const auto begin = at + 4;
      const auto answer = text.substr(begin, text.find('\n', begin) - begin);
      EXPECT_NE(text.substr(0, at).find(answer), std::string::npos) << answer << "\n" << text;
      ++asked;
      ++answers;
    }
    if (asked >= 3) ++with_follow_ups;
  }
  EXPECT_GT(with_cues, 20u);
  EXPECT_GT(answers, with_cues * 3);
  EXPECT_GT(with_follow_ups * 10, with_cues * 8);
}

TEST_F(WorldTest, ManifestCountsMatchTheFiles) {
  const auto manifest = read_json_file(dir_->file("manifest.json"));
  for (const auto& task : data::task_names()) {
    for (const char* split : {"train", "dev", "test"}) {
      EXPECT_EQ(manifest["tasks"][task][split].get<size_t>(), records(task, split).size()) << task;
    }
    EXPECT_GT(records(task, "test").size(), 0u) << task;
  }
  EXPECT_EQ(manifest["passages"].get<size_t>(), corpus_->size());
}

TEST_F(WorldTest, PassagesFollowFlashRagLayoutWithTwoToSixSentences) {
  for (const auto& p : test::read_jsonl(dir_->file("corpus.jsonl"))) {
    const auto contents = p["contents"].get<std::string>();
    ASSERT_EQ(contents.substr(0, contents.find('\n')), p["title"]);
    const auto body = contents.substr(contents.find('\n') + 1);
    const auto sentences = std::count(body.begin(), body.end(), '.');
    EXPECT_GE(sentences, 2) << body;
    EXPECT_LE(sentences, 6) << body;
  }
}

TEST_F(WorldTest, CompressionAnswersAreInTheCompressedTextWhichIsInTheRetrievedPassages) {
  for (const auto& r : all_records("compression_qa")) {
    const auto compressed = r["compressed"].get<std::string>();
    EXPECT_THAT(compressed, HasSubstr(r["golden_answers"][0].get<std::string>())) << r["id"];
    std::set<std::string> retrieved;
    for (const auto& p : r["passages"]) {
      retrieved.insert(p["id"]);
      EXPECT_EQ(p["contents"], contents(p["id"]));  // retrieved text is the corpus text
    }
    EXPECT_EQ(retrieved.size(), 5u);
    std::string supporting_text;
    for (const auto& id : r["supporting_passages"]) {
      EXPECT_TRUE(retrieved.count(id)) << r["id"] << " lacks gold passage " << id;
      supporting_text += contents(id) + " ";
    }
    // Every compressed sentence is copied from a supporting passage.
    std::istringstream sentences(compressed);
    for (std::string s; std::getline(sentences, s, '.');) {
      if (s.find_first_not_of(' ') == std::string::npos) continue;
      EXPECT_THAT(supporting_text, HasSubstr(s.substr(s.find_first_not_of(' ')))) << r["id"];
    }
  }
}

TEST_F(WorldTest, RewriteAnswersAreInTheSupportingPassages) {
  for (const auto& r : all_records("rewrite_qa")) {
    ASSERT_EQ(r["rewritten_queries"].size(), 2u);
    std::string text;
    for (const auto& id : r["supporting_passages"]) text += contents(id) + " ";
    EXPECT_THAT(text, HasSubstr(r["golden_answers"][0].get<std::string>())) << r["id"];
  }
}

// The rewriter writes its queries before anything is retrieved: each must name an entity the
// question names, so the supporting passage it retrieves is reachable from the question alone.
TEST_F(WorldTest, RewriteQueriesNameOnlyWhatTheQuestionNames) {
  for (const auto& r : all_records("rewrite_qa")) {
    const auto question = r["question"].get<std::string>();
    for (size_t i = 0; i < r["supporting_passages"].size(); ++i) {
      const auto& passage = contents(r["supporting_passages"][i]);
      const auto title = passage.substr(0, passage.find('\n'));
      EXPECT_THAT(question, HasSubstr(title)) << r["id"];
      EXPECT_THAT(r["rewritten_queries"][i].get<std::string>(), HasSubstr(title)) << r["id"];
    }
  }
}

TEST_F(WorldTest, MemoryStepsRecallPretrainingFactsAndEndInTheAnswer) {
  const auto pretrain = read_bytes(dir_->path() / "pretrain.txt");
  for (const auto& r : all_records("memory_reasoning")) {
    const auto& steps = r["steps"];
    ASSERT_GE(steps.size(), 3u);
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& s = steps[i];
      EXPECT_EQ(s["type"], i % 2 == 0 ? "memory" : "reason") << r["id"] << " step " << i;
      if (s["type"] != "memory") continue;
      EXPECT_THAT(pretrain, HasSubstr(s["text"].get<std::string>() + "\n"));
    }
    EXPECT_EQ(steps.back()["type"], "reason");
    const auto answer = r.contains("answer_key") ? r["answer_key"] : r["golden_answers"][0];
    EXPECT_THAT(steps.back()["text"].get<std::string>(),
                EndsWith("[The answer is]: " + answer.get<std::string>()));
  }
}

TEST_F(WorldTest, ActiveRagRoundsRetrieveCorpusPassagesAndClaimLabelsAreTrue) {
  int claims = 0, true_claims = 0;
  for (const auto& r : all_records("active_rag")) {
    const auto& steps = r["steps"];
    ASSERT_EQ(steps.size() % 3, 0u);
    for (size_t i = 0; i < steps.size(); i += 3) {
      EXPECT_EQ(steps[i]["type"], "plan");
      EXPECT_EQ(steps[i + 1]["type"], "retrieval");
      EXPECT_EQ(steps[i + 1]["text"], contents(steps[i + 1]["passage_id"]));
      EXPECT_EQ(steps[i + 2]["type"], "answer");
    }
    const auto last = steps.back()["text"].get<std::string>();
    const std::string marker = " [The answer is]: " + r["golden_answers"][0].get<std::string>();
    ASSERT_THAT(last, EndsWith(marker));
    if (r["type"] == "claim") {
      ++claims;
      // The retrieved statement equals the claim exactly when the claim is labelled true.
      const bool same = last.substr(0, last.size() - marker.size()) == r["question"];
      EXPECT_EQ(same, r["golden_answers"][0] == "true") << r["id"];
      true_claims += same;
    }
  }
  EXPECT_GT(true_claims, claims / 4);
  EXPECT_LT(true_claims, claims * 3 / 4);
}

TEST_F(WorldTest, TestSplitSharesNoIdOrQuestionWithTrain) {
  for (const auto& task : data::task_names()) {
    std::set<std::string> ids, train_questions;
    for (const char* split : {"train", "dev", "test"}) {
      for (const auto& r : records(task, split)) {
        EXPECT_TRUE(ids.insert(r["id"]).second) << "duplicate id " << r["id"];
        const auto key =
            r["question"].get<std::string>() + (r.contains("choices") ? r["choices"].dump() : "");
        if (std::string(split) == "train") {
          train_questions.insert(key);
        } else {
          EXPECT_FALSE(train_questions.count(key)) << task << " leaks " << key;
        }
      }
    }
  }
}

TEST(World, ScaleGrowsTheDatasetAndZeroIsRejected) {
  test::TempDir dir;
  std::ostringstream progress;
  data::generate_dataset(dir.path().string(), {1, 3}, progress);
  const auto manifest = read_json_file(dir.file("manifest.json"));
  EXPECT_GT(manifest["tasks"]["compression_qa"]["train"].get<int>(), 1200);
  EXPECT_THAT(test::error_message([&] {
                data::generate_dataset(dir.file("x"), {1, 0}, progress);
              }),
              HasSubstr("--scale"));
}

}  // namespace
}  // namespace kvchain
