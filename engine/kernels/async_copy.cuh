#pragma once

// Copies from global to shared memory that a thread issues and does not wait for (cp.async,
// sm_80 and later): a block puts all of a tile in flight without holding it in registers, and
// waits for it group by group. Older architectures copy synchronously.

#include <cuda_runtime.h>

namespace kvchain::kernels {

// 16 bytes from `global` to `shared` (both 16-byte aligned), or 16 zero bytes when !fill; then
// nothing is read, and `global` need only be some valid address.
__device__ __forceinline__ void copy_async_16(void* shared, const void* global, bool fill) {
#if __CUDA_ARCH__ >= 800
  const auto address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(global),
               "r"(fill ? 16 : 0));
#else
  *static_cast<uint4*>(shared) = fill ? *static_cast<const uint4*>(global) : uint4{0, 0, 0, 0};
#endif
}

// Closes the group of copies issued since the last commit.
__device__ __forceinline__ void commit_copies() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}

// Waits until at most `Pending` committed groups are still in flight (this thread's copies).
template <int Pending>
__device__ __forceinline__ void wait_copies() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
#endif
}

}  // namespace kvchain::kernels
