#include <functional>
#include <map>

#include "engine/io/error.h"
#include "engine/io/text.h"
#include "tasks/compression_qa.h"

namespace kvchain::tasks {
namespace {

// A new task is one file plus one line here.
const std::map<std::string, std::function<std::unique_ptr<Task>()>>& registry() {
  static const std::map<std::string, std::function<std::unique_ptr<Task>()>> tasks = {
      {"compression_qa", [] { return std::make_unique<CompressionQA>(); }},
  };
  return tasks;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name) {
  const auto found = registry().find(name);
  if (found == registry().end()) {
    throw Error("unknown task '" + name + "' (" + join_names(task_names()) + ")");
  }
  return found->second();
}

}  // namespace kvchain::tasks
