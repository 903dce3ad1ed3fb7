#include "data/world/reading.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "data/world/world.h"
#include "engine/io/error.h"
#include "engine/io/named_values.h"

namespace kvchain::data {
namespace {

// How a document asks and answers, and what heads its context. Training draws them per
// document, from a few common pairs or as a cue word (listed or made up) in a written style, so
// that a base learns to answer after any cue that follows a question, not after a few
// memorised ones. The probe's unseen layout uses square-bracketed cues, a style no training
// document uses.
struct Cues {
  std::string ask;                      // before the question, with its trailing space
  std::string tell;                     // before the answer, which follows after a space
  std::string head;                     // the line before the context, or empty
  std::string separator = "\n";         // between passages and the question: a blank line, or none
  std::optional<size_t> claim_framing;  // a claim check's framing; drawn per document if none
};
// Common ask/tell pairs; a document that takes one has the default heading and separator.
const std::vector<std::pair<std::string, std::string>> kCommonCues = {
    {"Q: ", "A:"},           {"Q. ", "A."},           {"Query: ", "Result:"},
    {"Ask: ", "Tell:"},      {"Quiz: ", "Solution:"}, {"Q) ", "A)"},
    {"Prompt: ", "Output:"}, {"Request: ", "Reply:"}, {">> ", "<<"}};
const std::vector<std::string> kAskWords = {
    "Q",     "Query", "Ask",   "Quiz", "Prompt", "Puzzle",  "Request", "Asked",  "Clue",
    "Topic", "Item",  "Probe", "Find", "Seek",   "Task",    "Case",    "Riddle", "Problem",
    "Point", "Input", "Check", "Look", "Q1",     "Query 1", "Wonder",  "Lookup", "Subject"};
const std::vector<std::string> kTellWords = {
    "A",     "Result",  "Tell",     "Solution", "Output", "Key",   "Reply",  "Said",  "Found",
    "Value", "Finding", "Return",   "Verdict",  "Out",    "Fact",  "Given",  "So",    "Ans",
    "Says",  "Outcome", "Resolved", "Fill",     "A1",     "Known", "Yields", "Gives", "Shows"};
const std::vector<std::string> kHeadWords = {"Context", "Source text", "Background", "Material",
                                             "Record",  "Excerpt",     "Document",   "Sources",
                                             "Reading", "File",        "Entries",    "Data"};
// A written style around a cue word: an opening mark, the word (as listed, upper- or
// lower-cased) and a closing mark. Square brackets are never used: they are the probe's unseen
// style.
enum class Casing { kAsListed, kUpper, kLower };
struct CueStyle {
  std::string open, close;
  Casing casing;
};
// The plain forms a base reads first (ReadingVariety::kFixedStyles).
const std::vector<CueStyle> kFixedStyles = {
    {"", ":", Casing::kAsListed},  {"", ".", Casing::kAsListed},  {"(", ")", Casing::kAsListed},
    {"<", ">", Casing::kAsListed}, {"", ":", Casing::kUpper},     {"", " -", Casing::kAsListed},
    {"#", "", Casing::kAsListed},  {"", ")", Casing::kAsListed},  {"", " =", Casing::kAsListed},
    {"*", "*", Casing::kAsListed}, {"{", "}", Casing::kAsListed}, {"", ">>", Casing::kAsListed},
    {"|", "|", Casing::kAsListed}, {"", ";", Casing::kAsListed},  {"", "", Casing::kUpper}};
// The marks drawn styles combine, independently (over two thousand combinations), so that no
// style is what marks a cue.
const std::vector<std::string> kOpenMarks = {
    "",  "",  "",  "",   "(",  "<",  "{",  "|", "*", "#", "~",  "=",  "/",  "+",  "_",
    "@", "^", "'", "\"", "--", ">>", "::", "$", "&", "!", "<<", "((", "**", "##", "%"};
const std::vector<std::string> kCloseMarks = {":",  ".", ")",  ">",  "}",  "|",  "*",  "-",
                                              "=",  ";", "~",  "/",  "!",  ">>", "::", "'",
                                              "\"", "",  " -", " =", " :", "#",  "+",  "_",
                                              "^",  ",", "))", "**", "##", "?"};

CueStyle draw_style(ReadingVariety variety, Rng& rng) {
  if (variety == ReadingVariety::kFixedStyles) return rng.pick(kFixedStyles);
  return {rng.pick(kOpenMarks), rng.pick(kCloseMarks), static_cast<Casing>(rng.below(3))};
}

std::string styled(const std::string& word, const CueStyle& style) {
  auto cased = word;
  for (auto& c : cased) {
    const auto byte = static_cast<unsigned char>(c);
    if (style.casing == Casing::kUpper) c = static_cast<char>(std::toupper(byte));
    if (style.casing == Casing::kLower) c = static_cast<char>(std::tolower(byte));
  }
  return style.open + cased + style.close;
}

// A cue word: one of `words`, or (a third of the time) a made-up word never seen before, so
// that what marks a question or an answer is where a cue stands, not which word it is.
std::string cue_word(const std::vector<std::string>& words, Rng& rng) {
  if (rng.percent(33)) return syllable_word(rng, static_cast<int>(rng.between(1, 2)));
  return rng.pick(words);
}

Cues training_cues(ReadingVariety variety, Rng& rng) {
  Cues cues;
  if (rng.percent(40)) {
    std::tie(cues.ask, cues.tell) = rng.pick(kCommonCues);
  } else {
    const auto style = draw_style(variety, rng);
    cues.ask = styled(cue_word(kAskWords, rng), style) + " ";
    cues.tell = styled(cue_word(kTellWords, rng), style);
  }
  if (rng.percent(50)) {
    cues.head = styled(cue_word(kHeadWords, rng), draw_style(variety, rng)) + "\n";
  }
  if (rng.percent(50)) cues.separator.clear();
  return cues;
}
const Cues kProbeCues = {"Q: ", "A:", "", "\n", 0};

const std::vector<std::string> kSpeakers = {"Mira", "Joss", "Teodor", "Ines", "Halvard", "Suvi"};

constexpr NamedValue<ReadingShape> kShapeNames[] = {
    {ReadingShape::kPassagesThenQuestion, "passages_then_question"},
    {ReadingShape::kQuestionFirst, "question_first"},
    {ReadingShape::kList, "list"},
    {ReadingShape::kTable, "table"},
    {ReadingShape::kDialogue, "dialogue"},
    {ReadingShape::kGap, "gap"},
    {ReadingShape::kQuote, "quote"},
    {ReadingShape::kUnseen, "unseen"},
    {ReadingShape::kClaimCheck, "claim_check"},
    {ReadingShape::kComparison, "comparison"},
    {ReadingShape::kSpelledComparison, "spelled_comparison"}};

constexpr NamedValue<ReadingVariety> kVarietyNames[] = {
    {ReadingVariety::kFixedStyles, "fixed"}, {ReadingVariety::kDrawnStyles, "drawn"},
    {ReadingVariety::kCited, "cited"},       {ReadingVariety::kChecked, "checked"},
    {ReadingVariety::kCompared, "compared"}, {ReadingVariety::kSpelled, "spelled"}};

const std::vector<ReadingShape> kTrainingShapes = {ReadingShape::kPassagesThenQuestion,
                                                   ReadingShape::kQuestionFirst,
                                                   ReadingShape::kList,
                                                   ReadingShape::kTable,
                                                   ReadingShape::kDialogue,
                                                   ReadingShape::kGap,
                                                   ReadingShape::kQuote};

// The shapes a comparison document takes: those that ask after showing the context, with
// follow-up questions in the document's cues.
const std::vector<ReadingShape> kComparingShapes = {ReadingShape::kPassagesThenQuestion,
                                                    ReadingShape::kList, ReadingShape::kTable,
                                                    ReadingShape::kGap};

// How a claim check asks: words around the statement, the two verdicts, and whether the answer
// first says what the context states (its sentence of the fact, then the verdict), as a reader
// that checks before it judges. A document keeps one framing for all its claims; the probe uses
// the first.
struct ClaimFraming {
  const char* before;
  const char* after;
  const char* holds;
  const char* fails;
  bool states_fact;
};
constexpr ClaimFraming kClaimFramings[] = {
    {"True or false: ", "", "true", "false", false},
    {"", " True or false?", "true", "false", false},
    {"Claim: ", "", "true", "false", false},
    {"Is this statement true? ", "", "true", "false", false},
    {"", " Yes or no?", "yes", "no", false},
    {"Check: ", " Right or wrong?", "right", "wrong", false},
    {"Verify: ", "", "supported", "refuted", false},
    {"Quote the context, then true or false: ", "", "true", "false", true},
    {"Fact check: ", "", "true", "false", true}};

constexpr bool same_text(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return *a == *b;
}
// Whether an answer states the fact first is read from the question's words alone, so two
// framings that ask alike must answer alike (else a base learns to guess between them).
constexpr bool framings_tell_their_answers() {
  for (const auto& a : kClaimFramings) {
    for (const auto& b : kClaimFramings) {
      if (same_text(a.before, b.before) && same_text(a.after, b.after) &&
          a.states_fact != b.states_fact) {
        return false;
      }
    }
  }
  return true;
}
static_assert(framings_tell_their_answers(), "two claim framings ask alike but answer unlike");

bool cites(ReadingVariety variety) {
  return variety != ReadingVariety::kFixedStyles && variety != ReadingVariety::kDrawnStyles;
}

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

// A year or a population as written ("1957", "2,589,000").
int64_t value_of(const std::string& object) {
  int64_t value = 0;
  for (const char c : object) {
    if (c >= '0' && c <= '9') value = value * 10 + (c - '0');
  }
  return value;
}

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

// A comparison asked so that its answer first gives both subjects' values, then the choice
// ("Who was born earlier, X or Y? Give both years first." "X 1861, Y 1823, so Y"): the step
// from each value back to its subject written out, which a plain comparison leaves to the
// reader (data/base/README.md, runs 14 and 15).
Question spelled(const Question& q) {
  const auto &a = *q.support.front(), &b = *q.support.back();
  auto out = q;
  out.text += std::string(" Give both ") + compared_values(a.relation) + " first.";
  out.answers = {a.subject + " " + a.object + ", " + b.subject + " " + b.object + ", so " +
                 q.answers.front()};
  return out;
}
// A probe's comparison item `plain`, written for `q`, asked spelled out over the same context.
ReadingDocument spelled(const ReadingDocument& plain, const Question& q) {
  const auto asked = spelled(q);
  auto out = plain;
  out.shape = ReadingShape::kSpelledComparison;
  const auto at = out.before.rfind(q.text);
  out.before.replace(at, q.text.size(), asked.text);
  out.answers = asked.answers;
  return out;
}

// What a document's questions after the first ask: single-hop lookups, comparisons, or
// comparisons whose answers give both values first.
enum class Comparing { kNo, kAsked, kSpelled };

// Writes reading documents. A training document asks several questions of its context: the
// first of the question it is written for, then `follow_ups` single-hop questions about other
// facts the context shows (the distractors' included), so most of its answers are lookups and
// a base learns to read, not only the form of a document.
class Writer {
 public:
  Writer(const Encyclopedia& e, Rng& rng) : e_(e), rng_(rng) {
    for (const auto& f : e.facts()) facts_of_passage_[f.passage_id].push_back(&f);
  }

  // Unless `comparing` is kNo, the follow-up questions compare two subjects the context shows
  // (where it shows two of one comparable relation) in place of single-hop lookups; with
  // kSpelled, `q` (a comparison) and they ask for both values before the choice.
  ReadingDocument write(const Question& q, ReadingShape shape, const Cues& cues, size_t distractors,
                        size_t follow_ups, Comparing comparing = Comparing::kNo) {
    shown_.clear();
    comparing_ = comparing;
    ReadingDocument d;
    d.shape = shape;
    const auto asked = comparing == Comparing::kSpelled ? spelled(q) : q;
    d.answers = asked.answers;
    d.after = "\n";
    const std::string ask = cues.ask + asked.text + "\n";
    const auto& head = cues.head;
    switch (shape) {
      case ReadingShape::kPassagesThenQuestion:
      case ReadingShape::kComparison:
      case ReadingShape::kSpelledComparison:  // asked spelled out by `spelled`
        d.before = head + passages(q, distractors) + cues.separator + ask + cues.tell;
        break;
      case ReadingShape::kQuestionFirst:
        // The heading leads the document: a line after a question is the context or the answer
        // cue, never a heading, as in every other shape.
        d.before = head + ask + passages(q, distractors) + cues.tell;
        break;
      case ReadingShape::kList:
        d.before = head + list(q) + ask + cues.tell;
        break;
      case ReadingShape::kTable:
        d.before = head + table(q) + ask + cues.tell;
        break;
      case ReadingShape::kDialogue: {
        auto speakers = kSpeakers;
        rng_.shuffle(speakers);
        const auto& a = speakers[0];
        const auto& b = speakers[1];
        d.before = a + ": " + q.text + "\n" + b + ": Let me read it out. " +
                   joined(q, distractors) + "\n" + b + ": It is";
        d.after = ".\n";
        for (const auto* f : follow_up_facts(q, follow_ups)) {
          const auto next = single_hop_question(*f, rng_);
          d.after += a + ": " + next.text + "\n" + b + ": It is " + next.answers.front() + ".\n";
        }
        return d;
      }
      case ReadingShape::kGap:
        d.before =
            head + passages(q, distractors) + unrelated_prose(q, 60) + "\n" + ask + cues.tell;
        break;
      case ReadingShape::kQuote: {
        const auto& fact = *q.support.front();
        d.before = head + passages(q, distractors) + cues.separator + cues.ask +
                   "Which sentence says " + what_it_states(fact) + "?\n" + cues.tell;
        d.answers = {fact.sentence};
        for (const auto* f : follow_up_facts(q, follow_ups)) {
          d.after += cues.ask + "Which sentence says " + what_it_states(*f) + "?\n" + cues.tell +
                     " " + f->sentence + "\n";
        }
        return d;
      }
      case ReadingShape::kUnseen:
        d.before = "[notes]\n" + passages(q, distractors) + "[inquiry] " + q.text + "\n[response]";
        return d;
      case ReadingShape::kClaimCheck: {
        const auto& framing =
            kClaimFramings[cues.claim_framing ? *cues.claim_framing
                                              : rng_.below(std::size(kClaimFramings))];
        d.before = head + passages(q, distractors) + cues.separator;
        const auto first = claim(*q.support.front(), framing, cues);
        d.before += first.first;
        d.answers = {first.second};
        for (const auto* f : follow_up_facts(q, follow_ups)) {
          const auto next = claim(*f, framing, cues);
          d.after += next.first + " " + next.second + "\n";
        }
        return d;
      }
    }
    const auto questions =
        comparing_ == Comparing::kNo ? std::vector<Question>{} : comparisons(q, follow_ups);
    for (auto next : questions) {
      if (comparing_ == Comparing::kSpelled) next = spelled(next);
      d.after += cues.ask + next.text + "\n" + cues.tell + " " + next.answers.front() + "\n";
    }
    if (!questions.empty()) return d;
    for (const auto* f : follow_up_facts(q, follow_ups)) {
      const auto next = single_hop_question(*f, rng_);
      d.after += cues.ask + next.text + "\n" + cues.tell + " " + next.answers.front() + "\n";
    }
    return d;
  }

 private:
  // A statement about `fact`, true or (half the time) with its object swapped for another of
  // the same relation, a similar-named distractor's where the context shows one: the question
  // up to its cue, and the answer.
  std::pair<std::string, std::string> claim(const Fact& fact, const ClaimFraming& framing,
                                            const Cues& cues) {
    std::vector<const Fact*> others;
    for (const auto* f : shown_) {
      if (f->relation == fact.relation && f->object != fact.object) others.push_back(f);
    }
    if (others.empty()) {
      for (const auto& f : e_.facts()) {
        if (f.relation == fact.relation && f.object != fact.object) others.push_back(&f);
      }
    }
    const bool holds = others.empty() || rng_.percent(50);
    const auto& object = holds ? fact.object : rng_.pick(others)->object;
    const auto statement = rng_.pick(paraphrases(fact.relation, fact.subject, object));
    const std::string verdict = holds ? framing.holds : framing.fails;
    return {cues.ask + framing.before + statement + framing.after + "\n" + cues.tell,
            framing.states_fact ? fact.statement + " " + verdict : verdict};
  }
  // Up to `count` comparisons of two subjects the context shows with unequal values of one
  // comparable relation, other than the pair `q` compares, each asked as a choice or as yes or
  // no (in a random order of the two).
  std::vector<Question> comparisons(const Question& q, size_t count) {
    const auto asked = [&](const Fact* a, const Fact* b) {
      const auto& s = q.support;
      return std::find(s.begin(), s.end(), a) != s.end() &&
             std::find(s.begin(), s.end(), b) != s.end();
    };
    std::vector<std::pair<const Fact*, const Fact*>> pairs;
    for (size_t i = 0; i < shown_.size(); ++i) {
      for (size_t j = i + 1; j < shown_.size(); ++j) {
        const auto &a = *shown_[i], &b = *shown_[j];
        if (a.relation == b.relation && comparable(a.relation) && a.subject != b.subject &&
            value_of(a.object) != value_of(b.object) && !asked(&a, &b)) {
          pairs.emplace_back(&a, &b);
        }
      }
    }
    rng_.shuffle(pairs);
    pairs.resize(std::min(pairs.size(), count));
    std::vector<Question> out;
    for (auto [a, b] : pairs) {
      if (rng_.percent(50)) std::swap(a, b);
      const bool a_wins = comes_first(a->relation, value_of(a->object), value_of(b->object));
      const bool yes_no = !rng_.percent(50);
      const std::string answer =
          yes_no ? (a_wins ? "yes" : "no") : (a_wins ? a->subject : b->subject);
      out.push_back({"comparison",
                     comparison_text(a->relation, a->subject, b->subject, yes_no),
                     {answer},
                     {a, b},
                     {}});
    }
    return out;
  }
  // Up to `count` facts the document's context shows, other than the question's own.
  std::vector<const Fact*> follow_up_facts(const Question& q, size_t count) {
    std::vector<const Fact*> facts;
    for (const auto* f : shown_) {
      if (std::find(q.support.begin(), q.support.end(), f) == q.support.end()) facts.push_back(f);
    }
    rng_.shuffle(facts);
    facts.resize(std::min(facts.size(), count));
    return facts;
  }
  void show_passage(const Passage& p) {
    const auto& facts = facts_of_passage_[p.id];
    shown_.insert(shown_.end(), facts.begin(), facts.end());
  }
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
    for (const auto* p : context(q, distractors)) {
      text += p->title + "\n" + p->text + "\n";
      show_passage(*p);
    }
    return text;
  }
  std::string joined(const Question& q, size_t distractors) {
    std::string text;
    for (const auto* p : context(q, distractors)) {
      text += (text.empty() ? "" : " ") + p->text;
      show_passage(*p);
    }
    return text;
  }
  std::string list(const Question& q) {
    std::vector<const Fact*> facts;
    for (const auto* p : context(q, 2)) {
      for (const auto* f : facts_of_passage_[p->id]) facts.push_back(f);
    }
    rng_.shuffle(facts);
    std::string text = "Facts about " + q.support.front()->subject + " and others:\n";
    for (const auto* f : facts) text += "- " + f->statement + "\n";
    shown_.insert(shown_.end(), facts.begin(), facts.end());
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
    shown_.insert(shown_.end(), rows.begin(), rows.end());
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
  std::vector<const Fact*> shown_;        // the facts the document being written shows
  Comparing comparing_ = Comparing::kNo;  // what its follow-ups ask (`write`)
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

const char* reading_variety_name(ReadingVariety variety) {
  return name_of(kVarietyNames, variety);
}

ReadingVariety parse_reading_variety(const std::string& name) {
  return parse_name(kVarietyNames, name, "reading variety");
}

const std::vector<ReadingShape>& probe_shapes() {
  static const std::vector<ReadingShape> shapes = {ReadingShape::kPassagesThenQuestion,
                                                   ReadingShape::kQuestionFirst,
                                                   ReadingShape::kList,
                                                   ReadingShape::kGap,
                                                   ReadingShape::kUnseen,
                                                   ReadingShape::kClaimCheck,
                                                   ReadingShape::kComparison,
                                                   ReadingShape::kSpelledComparison};
  return shapes;
}

std::string passage_prose(const Passage& p, ReadingVariety variety, Rng& rng) {
  if (!cites(variety) || !rng.percent(50)) return p.contents();
  std::string text;
  int citation = 1;
  for (size_t start = 0; start < p.text.size();) {
    auto end = p.text.find(". ", start);
    end = end == std::string::npos ? p.text.size() : end + 1;
    text += p.text.substr(start, end - start);
    if (text.back() == '.' && rng.percent(40)) text += "[" + std::to_string(citation++) + "]";
    start = end;
  }
  return p.title + "\n" + text;
}

std::vector<ReadingDocument> reading_documents(const Encyclopedia& e, ReadingVariety variety,
                                               Rng& rng) {
  Writer writer(e, rng);
  std::vector<ReadingDocument> documents;
  const auto questions = all_questions(e, rng);
  // A compared world practises comparisons as a checked one practises claims: half of its
  // documents open with one of its comparisons and ask more of them, in the shapes whose
  // questions follow the context. A spelled world asks half of those for both values first.
  const bool spells = variety == ReadingVariety::kSpelled;
  std::vector<const Question*> comparisons;
  for (const auto& q : questions) {
    if ((variety == ReadingVariety::kCompared || spells) && q.kind == "comparison") {
      comparisons.push_back(&q);
    }
  }
  for (const auto& q : questions) {
    if (!comparisons.empty() && rng.percent(50)) {
      const auto comparing = spells && rng.percent(50) ? Comparing::kSpelled : Comparing::kAsked;
      documents.push_back(writer.write(*rng.pick(comparisons), rng.pick(kComparingShapes),
                                       training_cues(variety, rng), rng.below(4), 2 + rng.below(5),
                                       comparing));
      continue;
    }
    // Judging a claim is learned far more slowly than reading a fact out: half of a checked
    // world's documents are claim checks, and half of a spelled world's others.
    const bool checks = variety == ReadingVariety::kChecked || spells;
    auto shape = checks && rng.percent(50) ? ReadingShape::kClaimCheck : rng.pick(kTrainingShapes);
    // A comparison's answer is an entity the passages name, not a sentence one of them states.
    if (shape == ReadingShape::kQuote && q.kind == "comparison") shape = ReadingShape::kList;
    documents.push_back(
        writer.write(q, shape, training_cues(variety, rng), rng.below(4), 2 + rng.below(5)));
  }
  return documents;
}

std::vector<ReadingDocument> probe_documents(const Encyclopedia& e, size_t per_shape, Rng& rng) {
  Writer writer(e, rng);
  // Single-hop questions: the probe measures reading a fact in context; two hops are a chain's.
  const auto questions = single_hop_questions(e, rng);
  if (questions.empty()) throw Error("reading probe: the world has no questions");
  std::vector<ReadingDocument> items;
  std::vector<Question> comparisons;
  std::vector<const Question*> compared;
  for (const auto shape : probe_shapes()) {
    if (shape == ReadingShape::kSpelledComparison) {
      // The comparison layout's own items, each asked anew for both values first.
      const size_t first = items.size() - compared.size();
      for (size_t i = 0; i < compared.size(); ++i) {
        items.push_back(spelled(items[first + i], *compared[i]));
      }
      continue;
    }
    if (shape == ReadingShape::kComparison) {
      comparisons = comparison_questions(e, rng);
      if (comparisons.empty()) throw Error("reading probe: the world has no comparisons");
    }
    const auto& asked = shape == ReadingShape::kComparison ? comparisons : questions;
    for (size_t i = 0; i < per_shape; ++i) {
      const auto& q = asked[rng.below(asked.size())];
      if (shape == ReadingShape::kComparison) compared.push_back(&q);
      // Every probe layout reads among similar-named distractors: two passages, or the facts
      // of two similar entities in a list.
      items.push_back(writer.write(q, shape, kProbeCues, 2, 0));
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
