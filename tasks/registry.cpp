#include <functional>
#include <map>

#include "engine/io/error.h"
#include "engine/io/text.h"
#include "tasks/active_rag.h"
#include "tasks/compression_qa.h"
#include "tasks/diagnostic.h"
#include "tasks/memory_reasoning.h"
#include "tasks/rewrite_qa.h"

namespace kvchain::tasks {
namespace {

// A new task is one file plus one line here.
using MakeTask =
    std::function<std::unique_ptr<Task>(const std::string& data_dir, const TaskSettings&)>;

template <typename T>
MakeTask maker() {
  return [](const std::string& data_dir, const TaskSettings& settings) {
    return std::make_unique<T>(data_dir, settings);
  };
}

const std::map<std::string, MakeTask>& registry() {
  static const std::map<std::string, MakeTask> tasks = {
      {"compression_qa", maker<CompressionQA>()},
      {"rewrite_qa", maker<RewriteQA>()},
      {"memory_reasoning", maker<MemoryReasoning>()},
      {"active_rag", maker<ActiveRag>()},
      {"diagnostic", maker<Diagnostic>()},
  };
  return tasks;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name, const std::string& data_dir,
                                const TaskSettings& settings) {
  const auto found = registry().find(name);
  if (found == registry().end()) {
    throw Error("unknown task '" + name + "' (" + join_names(task_names()) + ")");
  }
  return found->second(data_dir, settings);
}

}  // namespace kvchain::tasks
