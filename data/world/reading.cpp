#include "data/world/reading.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/io/error.h"
#include "engine/io/named_values.h"

namespace kvchain::data {
namespace {

// How a document asks and answers. Training draws a pair per document; the unseen layout's
// bracketed section cues appear in no training document.
struct Cues {
  const char* ask;
  const char* tell;
};
const std::vector<Cues> kTrainingCues = {{"Q: ", "A:"},
                                         {"Q. ", "A."},
                                         {"Query: ", "Result:"},
                                         {"Ask: ", "Tell:"},
                                         {"Quiz: ", "Solution:"}};
const std::vector<std::string> kSpeakers = {"Mira", "Joss", "Teodor", "Ines", "Halvard", "Suvi"};

constexpr NamedValue<ReadingShape> kShapeNames[] = {
    {ReadingShape::kPassagesThenQuestion, "passages_then_question"},
    {ReadingShape::kQuestionFirst, "question_first"},
    {ReadingShape::kList, "list"},
    {ReadingShape::kTable, "table"},
    {ReadingShape::kDialogue, "dialogue"},
    {ReadingShape::kGap, "gap"},
    {ReadingShape::kQuote, "quote"},
    {ReadingShape::kUnseen, "unseen"}};

const std::vector<ReadingShape> kTrainingShapes = {ReadingShape::kPassagesThenQuestion,
                                                   ReadingShape::kQuestionFirst,
                                                   ReadingShape::kList,
                                                   ReadingShape::kTable,
                                                   ReadingShape::kDialogue,
                                                   ReadingShape::kGap,
                                                   ReadingShape::kQuote};

// How reading documents name a relation: the column a table gives it, and what a "which
// sentence says ..." question asks about its subject ("{s}").
struct RelationWords {
  Relation relation;
  const char* column;
  const char* states;
};
constexpr RelationWords kRelationWords[] = {
    {Relation::kCountry, "country", "which country {s} is in"},
    {Relation::kPopulation, "population", "how many people live in {s}"},
    {Relation::kBirthYear, "born", "when {s} was born"},
    {Relation::kBirthplace, "birthplace", "where {s} was born"},
    {Relation::kOccupation, "occupation", "what {s} does for a living"},
    {Relation::kEmployer, "employer", "who employs {s}"},
    {Relation::kFounded, "founded", "when {s} was founded"},
    {Relation::kHeadquarters, "headquarters", "where {s} is based"},
    {Relation::kFounder, "founder", "who founded {s}"},
    {Relation::kIndustry, "industry", "which industry {s} is in"},
    {Relation::kReleased, "released", "when {s} was released"},
    {Relation::kCreator, "creator", "who created {s}"}};

const RelationWords& words_of(Relation relation) {
  for (const auto& words : kRelationWords) {
    if (words.relation == relation) return words;
  }
  throw Error("reading: a relation without words");
}

std::string what_it_states(const Fact& f) {
  std::string text = words_of(f.relation).states;
  return text.replace(text.find("{s}"), 3, f.subject);
}

class Writer {
 public:
  Writer(const Encyclopedia& e, Rng& rng) : e_(e), rng_(rng) {
    for (const auto& f : e.facts()) facts_of_passage_[f.passage_id].push_back(&f);
  }

  ReadingDocument write(const Question& q, ReadingShape shape, const Cues& cues,
                        size_t distractors) {
    ReadingDocument d;
    d.shape = shape;
    d.answers = q.answers;
    d.after = "\n";
    const std::string ask = std::string(cues.ask) + q.text + "\n";
    switch (shape) {
      case ReadingShape::kPassagesThenQuestion:
        d.before = passages(q, distractors) + "\n" + ask + cues.tell;
        break;
      case ReadingShape::kQuestionFirst:
        d.before = ask + passages(q, distractors) + cues.tell;
        break;
      case ReadingShape::kList:
        d.before = list(q) + ask + cues.tell;
        break;
      case ReadingShape::kTable:
        d.before = table(q) + ask + cues.tell;
        break;
      case ReadingShape::kDialogue: {
        auto speakers = kSpeakers;
        rng_.shuffle(speakers);
        const auto& a = speakers[0];
        const auto& b = speakers[1];
        d.before = a + ": " + q.text + "\n" + b + ": Let me read it out. " +
                   joined(q, distractors) + "\n" + b + ": It is";
        d.after = ".\n";
        break;
      }
      case ReadingShape::kGap:
        d.before = passages(q, distractors) + unrelated_prose(q, 60) + "\n" + ask + cues.tell;
        break;
      case ReadingShape::kQuote: {
        const auto& fact = *q.support.front();
        d.before = passages(q, distractors) + "\n" + cues.ask + "Which sentence says " +
                   what_it_states(fact) + "?\n" + cues.tell;
        d.answers = {fact.sentence};
        break;
      }
      case ReadingShape::kUnseen:
        d.before = "[notes]\n" + passages(q, distractors) + "[inquiry] " + q.text + "\n[response]";
        break;
    }
    return d;
  }

 private:
  // The passages that state the question's facts and `distractors` similar-named others, in a
  // random order.
  std::vector<const Passage*> context(const Question& q, size_t distractors) {
    std::vector<const Passage*> out;
    std::set<std::string> seen;
    for (const auto* fact : q.support) {
      if (seen.insert(fact->passage_id).second) out.push_back(&e_.passage(fact->passage_id));
    }
    for (const auto* other : e_.distractors(out.front()->title, distractors, rng_)) {
      if (seen.insert(other->id).second) out.push_back(other);
    }
    rng_.shuffle(out);
    return out;
  }
  std::string passages(const Question& q, size_t distractors) {
    std::string text;
    for (const auto* p : context(q, distractors)) text += p->title + "\n" + p->text + "\n";
    return text;
  }
  std::string joined(const Question& q, size_t distractors) {
    std::string text;
    for (const auto* p : context(q, distractors)) text += (text.empty() ? "" : " ") + p->text;
    return text;
  }
  std::string list(const Question& q) {
    std::vector<std::string> lines;
    for (const auto* p : context(q, 2)) {
      for (const auto* f : facts_of_passage_[p->id]) lines.push_back("- " + f->statement + "\n");
    }
    rng_.shuffle(lines);
    std::string text = "Facts about " + q.support.front()->subject + " and others:\n";
    for (const auto& line : lines) text += line;
    return text;
  }
  // The relation of the question's (first) fact for its subject and for similar-named
  // subjects; the list's form where fewer than two rows share it.
  std::string table(const Question& q) {
    const auto relation = q.support.front()->relation;
    std::vector<const Fact*> rows;
    for (const auto* p : context(q, 4)) {
      for (const auto* f : facts_of_passage_[p->id]) {
        if (f->relation == relation) rows.push_back(f);
      }
    }
    for (const auto* fact : q.support) {
      if (std::find(rows.begin(), rows.end(), fact) == rows.end()) return list(q);
    }
    if (rows.size() < 2) return list(q);
    std::string text = "name | " + std::string(words_of(relation).column) + "\n";
    for (const auto* f : rows) text += f->subject + " | " + f->object + "\n";
    return text;
  }
  std::string unrelated_prose(const Question& q, size_t words) {
    std::set<std::string> own;
    for (const auto* fact : q.support) own.insert(fact->subject);
    std::string text;
    size_t count = 0;
    while (count < words) {
      const auto& p = e_.passages()[rng_.below(e_.passages().size())];
      if (own.count(p.title)) continue;
      text += (text.empty() ? "" : " ") + p.text;
      count = static_cast<size_t>(std::count(text.begin(), text.end(), ' ')) + 1;
    }
    return text;
  }

  const Encyclopedia& e_;
  Rng& rng_;
  std::map<std::string, std::vector<const Fact*>> facts_of_passage_;
};

std::vector<Question> all_questions(const Encyclopedia& e, Rng& rng) {
  auto questions = single_hop_questions(e, rng);
  for (auto& q : bridge_questions(e, rng)) questions.push_back(std::move(q));
  for (auto& q : comparison_questions(e, rng)) questions.push_back(std::move(q));
  return questions;
}

}  // namespace

const char* reading_shape_name(ReadingShape shape) {
  return name_of(kShapeNames, shape);
}

const std::vector<ReadingShape>& probe_shapes() {
  static const std::vector<ReadingShape> shapes = {
      ReadingShape::kPassagesThenQuestion, ReadingShape::kQuestionFirst, ReadingShape::kList,
      ReadingShape::kGap, ReadingShape::kUnseen};
  return shapes;
}

std::vector<ReadingDocument> reading_documents(const Encyclopedia& e, Rng& rng) {
  Writer writer(e, rng);
  std::vector<ReadingDocument> documents;
  for (const auto& q : all_questions(e, rng)) {
    auto shape = rng.pick(kTrainingShapes);
    // A comparison's answer is an entity the passages name, not a sentence one of them states.
    if (shape == ReadingShape::kQuote && q.kind == "comparison") shape = ReadingShape::kList;
    documents.push_back(writer.write(q, shape, rng.pick(kTrainingCues), rng.below(4)));
  }
  return documents;
}

std::vector<ReadingDocument> probe_documents(const Encyclopedia& e, size_t per_shape, Rng& rng) {
  Writer writer(e, rng);
  // Single-hop questions: the probe measures reading a fact in context; two hops are a chain's.
  const auto questions = single_hop_questions(e, rng);
  if (questions.empty()) throw Error("reading probe: the world has no questions");
  std::vector<ReadingDocument> items;
  for (const auto shape : probe_shapes()) {
    for (size_t i = 0; i < per_shape; ++i) {
      const auto& q = questions[rng.below(questions.size())];
      // Every probe layout reads among similar-named distractors: two passages, or the facts
      // of two similar entities in a list.
      items.push_back(writer.write(q, shape, kTrainingCues.front(), 2));
    }
  }
  return items;
}

Json document_json(const ReadingDocument& document) {
  return {{"text", document.text()}};
}

Json probe_json(const ReadingDocument& document) {
  return {{"layout", reading_shape_name(document.shape)},
          {"prompt", document.before},
          {"answers", document.answers}};
}

}  // namespace kvchain::data
