#include <algorithm>
#include <set>

#include "data/world/task_records.h"

namespace kvchain::data {
namespace {

Json yes_no(const std::string& question, bool yes, Json steps,
            const std::vector<const Fact*>& facts) {
  Json statements = Json::array();
  for (const auto* f : facts) statements.push_back(f->statement);
  return {{"question", question},
          {"golden_answers", {yes ? "yes" : "no"}},
          {"type", "yes_no"},
          {"steps", std::move(steps)},
          {"facts", statements}};
}

}  // namespace

std::vector<Json> memory_reasoning_records(const Encyclopedia& e, Rng& rng) {
  const auto& w = e.world();
  std::vector<Json> records;
  for (const auto& o : w.organisations) {
    // Was the founder born before a year near the true one? (Both answers equally likely.)
    const auto& founder = e.fact(Relation::kFounder, o.name);
    const auto& person = w.people[o.founder];
    const auto& born = e.fact(Relation::kBirthYear, person.name);
    const int offset = static_cast<int>(rng.between(1, 15)) * (rng.percent(50) ? 1 : -1);
    const int threshold = person.birth_year + offset;
    const bool before = person.birth_year < threshold;
    records.push_back(yes_no(
        "Was the founder of " + o.name + " born before " + std::to_string(threshold) + "?", before,
        {step("memory", founder.statement),
         step("reason", "So the founder of " + o.name + " is " + person.name + "."),
         step("memory", born.statement),
         step("reason",
              std::to_string(person.birth_year) + (before ? " is before " : " is not before ") +
                  std::to_string(threshold) + ". " + answer_marker(before ? "yes" : "no"))},
        {&founder, &born}));

    // Is the organisation headquartered in a given country?
    const auto& hq = e.fact(Relation::kHeadquarters, o.name);
    const auto& place = w.places[o.headquarters];
    const auto& located = e.fact(Relation::kCountry, place.name);
    const auto& truth = w.countries[place.country].name;
    const auto& asked = rng.percent(50) ? truth : rng.pick(w.countries).name;
    const bool same = asked == truth;
    records.push_back(
        yes_no("Is " + o.name + " headquartered in " + asked + "?", same,
               {step("memory", hq.statement),
                step("reason", "So " + o.name + " is based in " + place.name + "."),
                step("memory", located.statement),
                step("reason", place.name + (same ? " is in " : " is not in ") + asked + ". " +
                                   answer_marker(same ? "yes" : "no"))},
               {&hq, &located}));
  }
  // Was one family member born before another? (Neighbours share a surname; ties skipped.)
  for (size_t i = 0; i + 1 < w.people.size(); ++i) {
    const auto &a = w.people[i], &b = w.people[i + 1];
    if (a.birth_year == b.birth_year) continue;
    const auto& fa = e.fact(Relation::kBirthYear, a.name);
    const auto& fb = e.fact(Relation::kBirthYear, b.name);
    const bool earlier = comes_first(Relation::kBirthYear, a.birth_year, b.birth_year);
    records.push_back(yes_no(
        comparison_text(Relation::kBirthYear, a.name, b.name, true), earlier,
        {step("memory", fa.statement),
         step("reason", "So " + a.name + " was born in " + std::to_string(a.birth_year) + "."),
         step("memory", fb.statement),
         step("reason",
              std::to_string(a.birth_year) + (earlier ? " is before " : " is not before ") +
                  std::to_string(b.birth_year) + ". " + answer_marker(earlier ? "yes" : "no"))},
        {&fa, &fb}));
  }
  // Which of three organisations is the oldest? (Only sets with distinct founding years.)
  for (size_t i = 0; i + 2 < w.organisations.size(); i += 3) {
    std::vector<const Organisation*> options = {&w.organisations[i], &w.organisations[i + 1],
                                                &w.organisations[i + 2]};
    std::set<int> years;
    for (const auto* o : options) years.insert(o->founded);
    if (years.size() != options.size()) continue;
    rng.shuffle(options);
    const auto oldest = std::min_element(options.begin(), options.end(),
                                         [](auto* a, auto* b) { return a->founded < b->founded; }) -
                        options.begin();
    Json choices = Json::array(), steps = Json::array(), statements = Json::array();
    // Each recalled year is followed by the running conclusion, so steps alternate.
    size_t earliest = 0;
    const std::string key(1, static_cast<char>('A' + oldest));
    for (size_t c = 0; c < options.size(); ++c) {
      const auto& f = e.fact(Relation::kFounded, options[c]->name);
      choices.push_back(
          {{"label", std::string(1, static_cast<char>('A' + c))}, {"text", options[c]->name}});
      steps.push_back(step("memory", f.statement));
      statements.push_back(f.statement);
      if (options[c]->founded < options[earliest]->founded) earliest = c;
      const auto lead =
          options[earliest]->name + " (" + std::to_string(options[earliest]->founded) + ")";
      steps.push_back(
          step("reason", c + 1 < options.size()
                             ? "The earliest so far is " + lead + "."
                             : "The earliest of the three is " + lead + ". " + answer_marker(key)));
    }
    records.push_back({{"question", "Which of these organisations was founded first?"},
                       {"choices", choices},
                       {"answer_key", key},
                       {"golden_answers", {key, options[oldest]->name}},
                       {"type", "multiple_choice"},
                       {"steps", steps},
                       {"facts", statements}});
  }
  return records;
}

}  // namespace kvchain::data
