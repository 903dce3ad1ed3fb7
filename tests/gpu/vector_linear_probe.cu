// How fast kernels/vector_linear.cu streams the Llama-3-8B shape's decode projections on this
// GPU, by variant (warps a block, loads in flight a lane, load instruction, blocks an SM), next to
// cuBLAS's bf16 GEMV where the probe links it: GB/s of weight read, median of 20 passes over 8
// copies of each weight (more than L2 holds). A probe run by tests/gpu/run_vector_linear_probe.sh,
// never part of the product.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#ifdef PROBE_CUBLAS
#include <cublas_v2.h>
#endif

#include "engine/kernels/vector_linear.cu"

namespace probe {

using namespace kvchain::kernels;

constexpr int kCopies = 8, kPasses = 20;

__global__ void fill(__nv_bfloat16* p, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ seed;
    h ^= h >> 13;
    p[i] = __float2bfloat16((static_cast<float>(h & 0xffff) / 65536.f - 0.5f) * 0.1f);
  }
}

struct Shape {
  const char* name;
  int64_t n, k;
  VectorPrologue prologue;
};

double median_ms(const std::function<void(int)>& run) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  for (int c = 0; c < kCopies; ++c) run(c);
  std::vector<float> times;
  for (int p = 0; p < kPasses; ++p) {
    cudaEventRecord(start);
    for (int c = 0; c < kCopies; ++c) run(c);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    times.push_back(ms / kCopies);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace probe

int main() {
  using namespace probe;
  const std::vector<Shape> shapes = {{"qkv+norm", 6144, 4096, VectorPrologue::kRmsNorm},
                                     {"o+residual", 4096, 4096, VectorPrologue::kAsIs},
                                     {"gate_up+norm", 28672, 4096, VectorPrologue::kRmsNorm},
                                     {"down+silu", 4096, 14336, VectorPrologue::kSiluMul},
                                     {"lm_head", 128256, 4096, VectorPrologue::kAsIs}};
  using Launch = void (*)(const VectorLinearArgs&, int);
  struct Variant {
    std::string name;
    Launch launch;
    int blocks_per_sm;
  };
  using B = __nv_bfloat16;
  const std::vector<Variant> variants = {
      {"w8 l8 stream cap8", launch_variant<B, 8, 8, Load::kStreaming>, 8},
      {"w8 l4 stream cap8", launch_variant<B, 8, 4, Load::kStreaming>, 8},
      {"w8 l4 volatile cap8", launch_variant<B, 8, 4, Load::kVolatile>, 8},
      {"w8 l2 stream cap8", launch_variant<B, 8, 2, Load::kStreaming>, 8},
      {"w4 l4 stream cap16", launch_variant<B, 4, 4, Load::kStreaming>, 16},
      {"w8 l4 ldg cap8", launch_variant<B, 8, 4, Load::kReadOnly>, 8},
      {"w8 l4 stream nocap", launch_variant<B, 8, 4, Load::kStreaming>, 1 << 20},
      {"w16 l4 stream cap4", launch_variant<B, 16, 4, Load::kStreaming>, 4},
  };
#ifdef PROBE_CUBLAS
  cublasHandle_t handle;
  cublasCreate(&handle);
#endif
  std::printf("| shape (N x K) | MB |");
  for (const auto& v : variants) std::printf(" %s |", v.name.c_str());
#ifdef PROBE_CUBLAS
  std::printf(" cuBLAS GemmEx (no prologue) |");
#endif
  std::printf("\n|---|---|");
  for (size_t i = 0; i <= variants.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const auto& s : shapes) {
    const int64_t elements = s.n * s.k;
    std::vector<B*> weights(kCopies);
    for (auto& w : weights) {
      cudaMalloc(&w, elements * sizeof(B));
      fill<<<1024, 256>>>(w, elements, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(w)));
    }
    B *x, *gain, *out;
    cudaMalloc(&x, 2 * s.k * sizeof(B));
    cudaMalloc(&gain, s.k * sizeof(B));
    cudaMalloc(&out, s.n * sizeof(B));
    fill<<<64, 256>>>(x, 2 * s.k, 1);
    fill<<<64, 256>>>(gain, s.k, 2);
    cudaDeviceSynchronize();
    const double mb = elements * sizeof(B) / 1e6;
    std::printf("| %s (%lld x %lld) | %.0f |", s.name, static_cast<long long>(s.n),
                static_cast<long long>(s.k), mb);
    for (const auto& v : variants) {
      const double ms = median_ms([&](int c) {
        VectorLinearArgs a{};
        a.type = ElementType::kBFloat16;
        a.prologue = s.prologue;
        a.x = x;
        a.norm_weight = gain;
        a.eps = 1e-5f;
        a.weight = weights[c];
        a.residual = s.prologue == VectorPrologue::kAsIs && s.n == 4096 ? out : nullptr;
        a.out = out;
        a.n = s.n;
        a.k = s.k;
        a.stream = nullptr;
        v.launch(a, v.blocks_per_sm);
      });
      std::printf(" %.1f us, %.0f GB/s |", ms * 1e3, mb / ms);
    }
#ifdef PROBE_CUBLAS
    const float alpha = 1.f, beta = 0.f;
    const double ms = median_ms([&](int c) {
      cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(s.n), 1,
                   static_cast<int>(s.k), &alpha, weights[c], CUDA_R_16BF, static_cast<int>(s.k), x,
                   CUDA_R_16BF, static_cast<int>(s.k), &beta, out, CUDA_R_16BF,
                   static_cast<int>(s.n), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    });
    std::printf(" %.1f us, %.0f GB/s |", ms * 1e3, mb / ms);
#endif
    std::printf("\n");
    const cudaError_t error = cudaDeviceSynchronize();
    if (error != cudaSuccess) {
      std::printf("CUDA error: %s\n", cudaGetErrorString(error));
      return 1;
    }
    for (auto* w : weights) cudaFree(w);
    cudaFree(x);
    cudaFree(gain);
    cudaFree(out);
  }
  return 0;
}
