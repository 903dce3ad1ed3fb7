#pragma once

#include <cstddef>
#include <functional>

namespace kvchain {

// Runs work(worker, i) once for every i in [0, n), spread over `threads` threads (the caller's
// among them) that take the next index as they finish one; `worker` in [0, threads) names the
// thread, for per-thread scratch. The first exception a call throws is rethrown here once every
// thread has stopped; the other threads stop taking indices.
void parallel_indices(size_t n, size_t threads,
                      const std::function<void(size_t worker, size_t i)>& work);

// The hardware's thread count (at least 1).
size_t hardware_threads();

}  // namespace kvchain
