// A suite config's JSON: refused with a kvchain::Error or read as a config a suite can run:
// a plain name, a dataset, known tasks, methods, counts within their bounds and an ablation of
// the suite's own tasks and methods with the other adapter kind.
#include <algorithm>
#include <cstdlib>

#include "engine/io/error.h"
#include "experiments/suite_config.h"

namespace {

template <typename T>
bool within(const std::vector<T>& items, const std::vector<T>& known) {
  return std::all_of(items.begin(), items.end(), [&](const T& item) {
    return std::find(known.begin(), known.end(), item) != known.end();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = kvchain::Json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  const kvchain::experiments::SuiteDefaults defaults = {
      {"compression_qa", "rewrite_qa", "memory_reasoning", "active_rag", "diagnostic"},
      kvchain::AdapterKind::kPrompt,
      50,
      3e-2};
  try {
    const auto suite = kvchain::experiments::parse_suite_config(json, "fuzz", defaults);
    const bool sound = !suite.name.empty() && suite.name.find('/') == std::string::npos &&
                       !suite.datasets.empty() && within(suite.tasks, defaults.tasks) &&
                       !suite.seeds.empty() && suite.epochs >= 1 && suite.answer_epochs >= 1 &&
                       suite.train_limit >= 0 && suite.test_limit >= 0 &&
                       suite.virtual_tokens >= 1 && suite.learning_rate > 0 &&
                       (suite.eval_split == "test" || suite.eval_split == "dev") &&
                       (!suite.world_seed || suite.datasets.size() == 1);
    if (!sound) std::abort();
    if (suite.ablation && (suite.ablation->adapter_kind == suite.adapter_kind ||
                           !within(suite.ablation->tasks, suite.tasks) ||
                           !within(suite.ablation->methods, suite.methods))) {
      std::abort();
    }
  } catch (const kvchain::Error&) {
  }
  return 0;
}
