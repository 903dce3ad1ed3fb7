#include "data/world/encyclopedia.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/io/error.h"

namespace kvchain::data {
namespace {

// Sentences that state nothing a question asks about; they vary passage length and give a
// compressor something to drop.
const std::vector<std::string> kFillers = {
    "{s} is mentioned in several regional archives.",
    "Little else is recorded about the early history of {s}.",
    "Accounts of {s} differ in their details.", "{s} appears in a number of local guidebooks.",
    "Historians continue to study {s}."};

std::string replace_subject(std::string text, const std::string& subject) {
  const auto at = text.find("{s}");
  return at == std::string::npos ? text : text.replace(at, 3, subject);
}

std::string with_commas(int64_t n) {
  auto digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

std::set<std::string> name_words(const std::string& title) {
  static const std::set<std::string> kIgnored = {"The", "of", "New", "Falls"};
  std::set<std::string> words;
  std::istringstream in(title);
  for (std::string w; in >> w;) {
    if (!kIgnored.count(w)) words.insert(w);
  }
  return words;
}

}  // namespace

std::vector<std::string> paraphrases(Relation relation, const std::string& s,
                                     const std::string& o) {
  switch (relation) {
    case Relation::kCountry:
      return {s + " is a city in " + o + ".", s + " lies in " + o + ".",
              "The city of " + s + " is located in " + o + "."};
    case Relation::kPopulation:
      return {s + " has a population of " + o + ".", "About " + o + " people live in " + s + ".",
              "The population of " + s + " is " + o + "."};
    case Relation::kBirthYear:
      return {s + " was born in " + o + ".", "The birth year of " + s + " is " + o + ".",
              s + " was born in the year " + o + "."};
    case Relation::kBirthplace:
      return {s + " was born in the city of " + o + ".", s + " is a native of " + o + ".",
              "The birthplace of " + s + " is " + o + "."};
    case Relation::kOccupation:
      return {s + " works as a " + o + ".", s + " is a " + o + " by profession.",
              "By trade, " + s + " is a " + o + "."};
    case Relation::kEmployer:
      return {s + " is employed by " + o + ".", s + " works for " + o + ".",
              "The employer of " + s + " is " + o + "."};
    case Relation::kFounded:
      return {s + " was founded in " + o + ".", s + " was established in " + o + ".",
              "The founding year of " + s + " is " + o + "."};
    case Relation::kHeadquarters:
      return {s + " is headquartered in " + o + ".",
              "The headquarters of " + s + " are in " + o + ".",
              s + " has its head office in " + o + "."};
    case Relation::kFounder:
      return {s + " was founded by " + o + ".", o + " is the founder of " + s + ".",
              "The founder of " + s + " is " + o + "."};
    case Relation::kIndustry:
      return {s + " operates in the " + o + " industry.", s + " is a " + o + " company.",
              "The industry of " + s + " is " + o + "."};
    case Relation::kReleased:
      return {s + " was released in " + o + ".", s + " first appeared in " + o + ".",
              "The release year of " + s + " is " + o + "."};
    case Relation::kCreator:
      return {s + " was created by " + o + ".", o + " is the creator of " + s + ".",
              "The creator of " + s + " is " + o + "."};
  }
  return {};
}

Encyclopedia::Encyclopedia(World world, Rng& rng) : world_(std::move(world)) {
  const auto& w = world_;
  auto make = [&](Relation r, const std::string& s, const std::string& o) {
    auto variants = paraphrases(r, s, o);
    return Fact{r, s, o, rng.pick(variants), variants.front(), ""};
  };
  for (const auto& p : w.places) {
    add_entity(p.name,
               {make(Relation::kCountry, p.name, w.countries[p.country].name),
                make(Relation::kPopulation, p.name, with_commas(p.population))},
               rng);
  }
  for (const auto& p : w.people) {
    add_entity(p.name,
               {make(Relation::kBirthYear, p.name, std::to_string(p.birth_year)),
                make(Relation::kBirthplace, p.name, w.places[p.birthplace].name),
                make(Relation::kOccupation, p.name, p.occupation),
                make(Relation::kEmployer, p.name, w.organisations[p.employer].name)},
               rng);
  }
  for (const auto& o : w.organisations) {
    add_entity(o.name,
               {make(Relation::kFounded, o.name, std::to_string(o.founded)),
                make(Relation::kHeadquarters, o.name, w.places[o.headquarters].name),
                make(Relation::kFounder, o.name, w.people[o.founder].name),
                make(Relation::kIndustry, o.name, o.industry)},
               rng);
  }
  for (const auto& work : w.works) {
    add_entity(work.title,
               {make(Relation::kReleased, work.title, std::to_string(work.year)),
                make(Relation::kCreator, work.title, w.people[work.creator].name)},
               rng);
  }
  for (size_t i = 0; i < passages_.size(); ++i) {
    for (const auto& word : name_words(passages_[i].title)) word_index_[word].push_back(i);
  }
}

void Encyclopedia::add_entity(const std::string& title, std::vector<Fact> facts, Rng& rng) {
  rng.shuffle(facts);
  // Up to two filler sentences; a long entry is split into two passages about the same title.
  auto filler_pool = kFillers;
  rng.shuffle(filler_pool);
  std::vector<std::string> fillers;
  for (auto n = rng.below(3); n > 0; --n) fillers.push_back(replace_subject(filler_pool[n], title));
  const size_t total = facts.size() + fillers.size();
  const size_t first_size = total >= 5 && rng.percent(40) ? total / 2 : total;
  size_t sentence = 0;
  Passage* current = nullptr;
  auto next_sentence = [&](const std::string& text) {
    if (sentence == 0 || sentence == first_size) {
      passages_.push_back({"wiki-" + std::to_string(passages_.size() + 1), title, ""});
      passage_index_[passages_.back().id] = passages_.size() - 1;
      current = &passages_.back();
    }
    current->text += (current->text.empty() ? "" : " ") + text;
    ++sentence;
    return current->id;
  };
  for (auto& fact : facts) {
    fact.passage_id = next_sentence(fact.sentence);
    fact_index_[{fact.relation, fact.subject}] = facts_.size();
    facts_.push_back(std::move(fact));
  }
  for (const auto& filler : fillers) next_sentence(filler);
}

const Passage& Encyclopedia::passage(const std::string& id) const {
  auto it = passage_index_.find(id);
  if (it == passage_index_.end()) throw Error("encyclopedia: no passage '" + id + "'");
  return passages_[it->second];
}

const Fact& Encyclopedia::fact(Relation relation, const std::string& subject) const {
  auto it = fact_index_.find({relation, subject});
  if (it == fact_index_.end()) throw Error("encyclopedia: no such fact about '" + subject + "'");
  return facts_[it->second];
}

std::vector<const Passage*> Encyclopedia::distractors(const std::string& title, size_t count,
                                                      Rng& rng) const {
  std::set<size_t> similar_set;
  for (const auto& word : name_words(title)) {
    auto it = word_index_.find(word);
    if (it == word_index_.end()) continue;
    for (auto i : it->second) {
      if (passages_[i].title != title) similar_set.insert(i);
    }
  }
  std::vector<size_t> similar(similar_set.begin(), similar_set.end());
  rng.shuffle(similar);
  if (similar.size() > count) similar.resize(count);
  std::set<size_t> chosen(similar.begin(), similar.end());
  // Top up with random passages about other entities (the corpus is far larger than `count`).
  while (similar.size() < count && chosen.size() + 8 < passages_.size()) {
    const auto i = rng.below(passages_.size());
    if (passages_[i].title == title || !chosen.insert(i).second) continue;
    similar.push_back(i);
  }
  std::vector<const Passage*> result;
  for (auto i : similar) result.push_back(&passages_[i]);
  return result;
}

std::string Encyclopedia::pretraining_text(Rng& rng) const {
  std::vector<std::string> lines;
  for (const auto& p : passages_) lines.push_back(p.text);
  for (const auto& f : facts_) {
    for (const auto& variant : paraphrases(f.relation, f.subject, f.object))
      lines.push_back(variant);
  }
  rng.shuffle(lines);
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

std::string Encyclopedia::reading_text(Rng& rng) const {
  std::vector<std::string> lines;
  for (const auto& f : facts_) {
    const auto& own = passage(f.passage_id);
    std::vector<std::string> texts = {own.text};
    for (const auto* other : distractors(own.title, 1, rng)) texts.push_back(other->text);
    rng.shuffle(texts);
    std::vector<std::string> restatements;
    for (const auto& variant : paraphrases(f.relation, f.subject, f.object)) {
      if (variant != f.sentence) restatements.push_back(variant);
    }
    std::string line;
    for (const auto& text : texts) line += text + " ";
    lines.push_back(line + rng.pick(restatements));
  }
  rng.shuffle(lines);
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

}  // namespace kvchain::data
