#include "experiments/reading_probe.h"

#include <algorithm>
#include <map>

#include "data/loaders/record_reader.h"
#include "engine/generation/greedy.h"
#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/training/progress.h"
#include "eval/metrics.h"
#include "tasks/text.h"

namespace kvchain::experiments {
namespace {

struct Item {
  std::string layout, prompt;
  std::vector<std::string> answers;
  std::string where;
};

std::vector<Item> read_items(const std::vector<std::string>& files) {
  std::vector<Item> items;
  data::LoadOptions options;
  options.strict = true;
  for (const auto& file : files) {
    data::read_jsonl_records(file, options, [&](const Json& record, const std::string& where) {
      items.push_back({json_string_field(record, "layout", where),
                       json_string_field(record, "prompt", where),
                       json_string_list(record, "answers", where), where});
      if (items.back().answers.empty()) throw Error(where + ": field 'answers' is empty");
    });
  }
  if (items.empty()) throw Error("reading probe: no items in " + join_names(files));
  return items;
}

}  // namespace

Json ProbeReport::to_json() const {
  Json layouts_json = Json::array();
  for (const auto& l : layouts) {
    layouts_json.push_back({{"layout", l.layout}, {"n", l.n}, {"exact", l.exact}});
  }
  return {{"layouts", layouts_json}};
}

std::string ProbeReport::table() const {
  std::string text = "| layout | items | exact answers (%) |\n| --- | ---: | ---: |\n";
  for (const auto& l : layouts) {
    char exact[32];
    std::snprintf(exact, sizeof exact, "%.1f", l.exact);
    text += "| " + l.layout + " | " + std::to_string(l.n) + " | " + exact + " |\n";
  }
  return text;
}

ProbeReport run_reading_probe(const std::string& base_dir, const std::vector<std::string>& files,
                              const std::string& device) {
  const auto items = read_items(files);
  auto model = load_model(base_dir, parse_device(device));
  model->eval();
  const auto tokenizer = load_tokenizer_beside(base_dir, "the reading probe");
  GenerationOptions options;
  options.eos_token_ids = model->config().eos_token_ids;
  options.stop_strings = {"\n"};
  ShapeStableSteps steps(*model);
  options.steps = &steps;
  std::map<std::string, size_t> index;
  ProbeReport report;
  Progress progress("reading probe", static_cast<int64_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const auto prompt = tokenizer.encode(item.prompt);
    // Room for the longest gold answer and a few tokens more, so that no answer given in full
    // is cut off (a spelled comparison's runs to 30 tokens and more).
    options.max_new_tokens = 8;
    for (const auto& answer : item.answers) {
      const auto length = static_cast<int64_t>(tokenizer.encode(" " + answer).size());
      options.max_new_tokens = std::max(options.max_new_tokens, length + 8);
    }
    auto cache = model->make_cache(1);
    ForwardArgs prefill;
    prefill.input_ids = torch::tensor(prompt, torch::kInt64).unsqueeze(0);
    const auto result = generate_greedy(*model, cache, prefill, options, &tokenizer, {});
    const auto found = index.emplace(item.layout, report.layouts.size());
    if (found.second) report.layouts.push_back({item.layout, 0, 0});
    auto& layout = report.layouts[found.first->second];
    ++layout.n;
    layout.exact += 100 * eval::exact_match(tasks::trim(result.text), item.answers);
    progress.update(static_cast<int64_t>(i + 1));
  }
  for (auto& layout : report.layouts) layout.exact /= static_cast<double>(layout.n);
  return report;
}

}  // namespace kvchain::experiments
