#include "engine/concurrency/parallel_indices.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/io/error.h"

namespace kvchain {

void parallel_indices(size_t n, size_t threads,
                      const std::function<void(size_t worker, size_t i)>& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  const auto run = [&](size_t worker) {
    try {
      for (size_t i; !failed && (i = next++) < n;) work(worker, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  const size_t count = std::max<size_t>(1, std::min(threads, n));
  try {
    for (size_t t = 1; t < count; ++t) pool.emplace_back(run, t);
  } catch (const std::system_error& e) {  // the system refused a thread: stop the others
    failed = true;
    for (auto& thread : pool) thread.join();
    throw Error("cannot start thread " + std::to_string(pool.size() + 1) + " of " +
                std::to_string(count) + " (" + e.what() + "); ask for fewer threads");
  }
  run(0);
  for (auto& thread : pool) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

size_t hardware_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace kvchain
