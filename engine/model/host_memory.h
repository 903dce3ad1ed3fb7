#pragma once

namespace kvchain {

// libtorch's CPU tensors come from malloc, and glibc hands each block above its mmap threshold
// (128 KiB, raised as it goes up to 32 MiB) back to the kernel when it is freed. A forward that
// allocates and frees the same large activations in every layer then faults their pages in
// again each time, which can take most of a long CPU prefill's time (bench/README.md, "CPU:
// host memory and libtorch 1.13's attention").
// Called first by the kvchain tool and the chain benchmark: freed memory stays with the process
// for reuse, as libtorch's caching allocator does on a GPU, so every command keeps the host
// memory of its peak until it exits.
void keep_freed_host_memory();

}  // namespace kvchain
