#include <functional>
#include <map>

#include "engine/io/error.h"
#include "engine/io/text.h"
#include "tasks/compression_qa.h"
#include "tasks/rewrite_qa.h"
#include "tasks/text.h"

namespace kvchain::tasks {
namespace {

// A new task is one file plus one line here.
using MakeTask = std::function<std::unique_ptr<Task>(const std::string& data_dir)>;

const std::map<std::string, MakeTask>& registry() {
  static const std::map<std::string, MakeTask> tasks = {
      {"compression_qa", [](const std::string&) { return std::make_unique<CompressionQA>(); }},
      {"rewrite_qa", [](const std::string& data) { return std::make_unique<RewriteQA>(data); }},
  };
  return tasks;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::string Task::distill_input(const Json& record, const std::string& where) const {
  return input(record, where, 0, ChainMode::kText, {});
}

std::string Task::prompt_init(size_t) const {
  return "Answer the question from the text:";
}

std::vector<std::string> Task::golden_answers(const Json& record, const std::string& where) const {
  return json_string_list(record, "golden_answers", where);
}

std::unique_ptr<Task> make_task(const std::string& name, const std::string& data_dir) {
  const auto found = registry().find(name);
  if (found == registry().end()) {
    throw Error("unknown task '" + name + "' (" + join_names(task_names()) + ")");
  }
  return found->second(data_dir);
}

}  // namespace kvchain::tasks
