#include "data/world/questions.h"

#include <algorithm>

#include "engine/io/error.h"

namespace kvchain::data {
namespace {

std::vector<std::string> question_forms(Relation relation, const std::string& s) {
  switch (relation) {
    case Relation::kCountry:
      return {"In which country is " + s + "?", "Which country is " + s + " located in?"};
    case Relation::kPopulation:
      return {"What is the population of " + s + "?", "How many people live in " + s + "?"};
    case Relation::kBirthYear:
      return {"When was " + s + " born?", "In what year was " + s + " born?"};
    case Relation::kBirthplace:
      return {"Where was " + s + " born?", "In which city was " + s + " born?"};
    case Relation::kOccupation:
      return {"What is the occupation of " + s + "?", "What does " + s + " do for a living?"};
    case Relation::kEmployer:
      return {"Which organisation does " + s + " work for?", "Who employs " + s + "?"};
    case Relation::kFounded:
      return {"When was " + s + " founded?", "In what year was " + s + " established?"};
    case Relation::kHeadquarters:
      return {"Where is " + s + " headquartered?", "In which city is " + s + " based?"};
    case Relation::kFounder:
      return {"Who founded " + s + "?", "Who is the founder of " + s + "?"};
    case Relation::kIndustry:
      return {"What industry is " + s + " in?", "In which industry does " + s + " operate?"};
    case Relation::kReleased:
      return {"When was " + s + " released?", "In what year did " + s + " first appear?"};
    case Relation::kCreator:
      return {"Who created " + s + "?", "Who is the creator of " + s + "?"};
  }
  return {};
}

// The answer forms a reader may give: populations with and without thousands separators.
std::vector<std::string> answer_forms(const Fact& fact) {
  std::vector<std::string> forms = {fact.object};
  if (fact.relation == Relation::kPopulation) {
    auto plain = fact.object;
    plain.erase(std::remove(plain.begin(), plain.end(), ','), plain.end());
    forms.push_back(plain);
  }
  return forms;
}

Question two_hop(const Fact& first, const Fact& second, std::string text) {
  return {"bridge",
          std::move(text),
          answer_forms(second),
          {&first, &second},
          {single_hop_text(first), single_hop_text(second)}};
}

}  // namespace

std::string single_hop_text(const Fact& fact) {
  return question_forms(fact.relation, fact.subject).front();
}

Question single_hop_question(const Fact& fact, Rng& rng) {
  return {"single_hop",
          rng.pick(question_forms(fact.relation, fact.subject)),
          answer_forms(fact),
          {&fact},
          {single_hop_text(fact)}};
}

std::vector<Question> single_hop_questions(const Encyclopedia& e, Rng& rng) {
  std::vector<Question> out;
  for (const auto& fact : e.facts()) out.push_back(single_hop_question(fact, rng));
  return out;
}

std::vector<Question> bridge_questions(const Encyclopedia& e, Rng& rng) {
  const auto& w = e.world();
  std::vector<Question> out;
  for (const auto& o : w.organisations) {
    const auto& founder = e.fact(Relation::kFounder, o.name);
    const auto& hq = e.fact(Relation::kHeadquarters, o.name);
    const auto& founder_name = w.people[o.founder].name;
    if (rng.percent(50)) {
      out.push_back(two_hop(founder, e.fact(Relation::kBirthYear, founder_name),
                            "In which year was the founder of " + o.name + " born?"));
    } else {
      out.push_back(two_hop(founder, e.fact(Relation::kBirthplace, founder_name),
                            "Where was the founder of " + o.name + " born?"));
    }
    out.push_back(two_hop(hq, e.fact(Relation::kCountry, w.places[o.headquarters].name),
                          "In which country is " + o.name + " headquartered?"));
  }
  for (const auto& p : w.people) {
    const auto& employer = e.fact(Relation::kEmployer, p.name);
    const auto& org = w.organisations[p.employer].name;
    if (rng.percent(50)) {
      out.push_back(
          two_hop(employer, e.fact(Relation::kHeadquarters, org),
                  "Where is the organisation that employs " + p.name + " headquartered?"));
    } else {
      out.push_back(two_hop(employer, e.fact(Relation::kFounder, org),
                            "Who founded the organisation that " + p.name + " works for?"));
    }
    out.push_back(two_hop(e.fact(Relation::kBirthplace, p.name),
                          e.fact(Relation::kCountry, w.places[p.birthplace].name),
                          "In which country was " + p.name + " born?"));
  }
  for (const auto& work : w.works) {
    out.push_back(two_hop(e.fact(Relation::kCreator, work.title),
                          e.fact(Relation::kBirthYear, w.people[work.creator].name),
                          "When was the creator of " + work.title + " born?"));
  }
  return out;
}

namespace {

// A comparable relation's two ways of asking ("{a}" and "{b}" name the subjects) and which value
// comes first.
struct ComparisonWords {
  Relation relation;
  const char* choice;
  const char* yes_no;
  const char* values;  // what the two subjects' objects are, in the plural
  bool smaller_wins;
};
constexpr ComparisonWords kComparisonWords[] = {
    {Relation::kBirthYear, "Who was born earlier, {a} or {b}?", "Was {a} born before {b}?", "years",
     true},
    {Relation::kFounded, "Which was founded first, {a} or {b}?", "Was {a} founded before {b}?",
     "years", true},
    {Relation::kReleased, "Which was released first, {a} or {b}?", "Was {a} released before {b}?",
     "years", true},
    {Relation::kPopulation, "Which has the larger population, {a} or {b}?",
     "Does {a} have more people than {b}?", "populations", false}};

const ComparisonWords* find_comparison_words(Relation relation) {
  for (const auto& words : kComparisonWords) {
    if (words.relation == relation) return &words;
  }
  return nullptr;
}

const ComparisonWords& comparison_words(Relation relation) {
  if (const auto* words = find_comparison_words(relation)) return *words;
  throw Error("questions: a comparison of a relation without an order");
}

}  // namespace

bool comparable(Relation relation) {
  return find_comparison_words(relation) != nullptr;
}

std::string comparison_text(Relation relation, const std::string& a, const std::string& b,
                            bool yes_no) {
  const auto& words = comparison_words(relation);
  std::string text = yes_no ? words.yes_no : words.choice;
  text.replace(text.find("{a}"), 3, a);
  return text.replace(text.find("{b}"), 3, b);
}

const char* compared_values(Relation relation) {
  return comparison_words(relation).values;
}

bool comes_first(Relation relation, int64_t a, int64_t b) {
  return comparison_words(relation).smaller_wins ? a < b : a > b;
}

std::vector<Question> comparison_questions(const Encyclopedia& e, Rng& rng) {
  const auto& w = e.world();
  std::vector<Question> out;
  // Which of a and b comes first; ties have no answer and are skipped.
  auto compare = [&](Relation relation, const std::string& a, const std::string& b, int64_t va,
                     int64_t vb) {
    if (va == vb) return;
    const auto& fa = e.fact(relation, a);
    const auto& fb = e.fact(relation, b);
    out.push_back({"comparison",
                   comparison_text(relation, a, b, false),
                   {comes_first(relation, va, vb) ? a : b},
                   {&fa, &fb},
                   {single_hop_text(fa), single_hop_text(fb)}});
  };
  // Neighbours in the world's lists share a surname, name root or place stem.
  for (size_t i = 0; i + 1 < w.organisations.size(); i += 2) {
    const auto &a = w.organisations[i], &b = w.organisations[i + 1];
    compare(Relation::kFounded, a.name, b.name, a.founded, b.founded);
  }
  for (size_t i = 0; i + 1 < w.people.size(); ++i) {
    const auto &a = w.people[i],
               &b = w.people[i + 1 + rng.below(std::min<size_t>(2, w.people.size() - i - 1))];
    compare(Relation::kBirthYear, a.name, b.name, a.birth_year, b.birth_year);
  }
  for (size_t i = 0; i + 1 < w.places.size(); i += 2) {
    const auto &a = w.places[i], &b = w.places[i + 1];
    compare(Relation::kPopulation, a.name, b.name, a.population, b.population);
  }
  for (size_t i = 0; i + 1 < w.works.size(); ++i) {
    const auto &a = w.works[i], &b = w.works[i + 1];
    compare(Relation::kReleased, a.title, b.title, a.year, b.year);
  }
  return out;
}

}  // namespace kvchain::data
