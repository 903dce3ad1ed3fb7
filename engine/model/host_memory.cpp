#include "engine/model/host_memory.h"

#include <climits>  // also defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kvchain {

void keep_freed_host_memory() {
#if defined(__GLIBC__)
  // No block is mapped on its own (mallopt caps the mmap threshold at 32 MiB, below a long
  // prefill's activations), and the heap's free top is trimmed only beyond 2 GiB.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

}  // namespace kvchain
