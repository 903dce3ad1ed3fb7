#include "experiments/practice.h"

#include "engine/io/atomic_file.h"
#include "experiments/splits.h"
#include "tasks/task.h"

namespace kvchain::experiments {

size_t write_practice(const std::string& task_name, const std::vector<std::string>& world_dirs,
                      const std::string& out_path) {
  AtomicFileWriter out(out_path);
  size_t written = 0;
  for (const auto& world : world_dirs) {
    const auto task = tasks::make_task(task_name, world);
    const auto split = load_split(world, task_name, "train", 0);
    for (size_t i = 0; i < split.records.size(); ++i) {
      const auto& record = split.records[i];
      const auto& where = split.where[i];
      const auto text = task->shared(record, where) + task->distill_input(record, where) +
                        task->distill_target(record, where);
      out.stream() << Json{{"text", text}}.dump() << "\n";
      ++written;
    }
  }
  out.commit();
  return written;
}

}  // namespace kvchain::experiments
