// kernels::vector_linear, the decode step's one-row projections with their RMSNorm, SiLU·up and
// residual add fused in, against the composed operations (CUDA builds only; skipped elsewhere).

#include <gtest/gtest.h>

#include "engine/kernels/vector_linear.h"
#include "engine/torch_compat.h"
#include "test_support.h"

namespace kvchain {
namespace {

using kernels::VectorInput;
using kernels::VectorPrologue;
using test::test_device;

torch::Tensor randn(std::vector<int64_t> shape, torch::ScalarType dtype) {
  return torch::randn(shape, torch::TensorOptions().device(test_device())).to(dtype);
}

// |actual - expected| against expected's size: one rounding to a 16-bit type is about 4e-3.
double relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  const auto a = actual.to(torch::kFloat64), e = expected.to(torch::kFloat64);
  return ((a - e).norm() / e.norm()).item<double>();
}

class VectorLinearTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::NoGradGuard no_grad;
    if (!kernels::vector_linear_supports({randn({1, 8}, torch::kFloat32)},
                                         randn({4, 8}, torch::kFloat32), {})) {
      GTEST_SKIP() << "vector_linear needs a CUDA device and kvchain's CUDA kernels";
    }
  }
  torch::NoGradGuard no_grad_;
};

// Shapes: rows shorter than one pass of a warp's loads, and longer than several with a ragged
// end; row counts that leave the last block's warps partly idle.
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{37, 72}, {515, 4104}, {3000, 512}};

TEST_F(VectorLinearTest, EqualsTheComposedLayerForEveryPrologue) {
  torch::manual_seed(11);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kHalf}) {
    const double tolerance = dtype == torch::kFloat32 ? 1e-5 : 1e-2;
    for (const auto& [n, k] : kShapes) {
      const auto weight = randn({n, k}, dtype) * 0.05;
      const auto x = randn({1, 1, k}, dtype);
      const auto gain = randn({k}, dtype);
      const auto gate_up = randn({1, 1, 2 * k}, dtype);
      const auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
      const auto w = f32(weight);

      auto plain = kernels::vector_linear({x}, weight, {});
      EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{1, 1, n}));
      EXPECT_LT(relative_error(plain, torch::matmul(f32(x), w.t())), tolerance)
          << c10::toString(dtype) << " " << n << "x" << k;

      auto normed = kernels::vector_linear({x, VectorPrologue::kRmsNorm, gain, 1e-5}, weight, {});
      auto expected_norm = compat::rms_norm(x, gain, 1e-5);
      EXPECT_LT(relative_error(normed, torch::matmul(f32(expected_norm), w.t())), tolerance)
          << "rms_norm " << c10::toString(dtype) << " " << n << "x" << k;

      auto residual = randn({1, 1, n}, dtype);
      const auto before = residual.to(torch::kFloat32, false, /*copy=*/true);
      auto summed = kernels::vector_linear({gate_up, VectorPrologue::kSiluMul}, weight, residual);
      EXPECT_TRUE(summed.is_same(residual));
      auto hidden =
          (torch::silu(f32(gate_up.narrow(-1, 0, k))) * f32(gate_up.narrow(-1, k, k))).to(dtype);
      EXPECT_LT(relative_error(summed, before + torch::matmul(f32(hidden), w.t())), tolerance)
          << "silu_mul + residual " << c10::toString(dtype) << " " << n << "x" << k;
    }
  }
}

TEST_F(VectorLinearTest, RefusesWhatItCannotTake) {
  const auto weight = randn({16, 64}, torch::kBFloat16);
  const auto x = randn({1, 64}, torch::kBFloat16);
  EXPECT_TRUE(kernels::vector_linear_supports({x}, weight, {}));
  // Two rows, another dtype, a transposed weight, a residual of the wrong size or one that is
  // the input itself, a norm without its gain, a row past the shared-memory budget.
  EXPECT_FALSE(kernels::vector_linear_supports({randn({2, 64}, torch::kBFloat16)}, weight, {}));
  EXPECT_FALSE(kernels::vector_linear_supports({x.to(torch::kFloat32)}, weight, {}));
  EXPECT_FALSE(kernels::vector_linear_supports({randn({1, 16}, torch::kBFloat16)},
                                               randn({16, 64}, torch::kBFloat16).t(), {}));
  EXPECT_FALSE(kernels::vector_linear_supports({x}, weight, randn({1, 15}, torch::kBFloat16)));
  const auto square = randn({64, 64}, torch::kBFloat16);
  EXPECT_FALSE(kernels::vector_linear_supports({x}, square, x));
  EXPECT_FALSE(kernels::vector_linear_supports({x, VectorPrologue::kRmsNorm}, weight, {}));
  EXPECT_FALSE(kernels::vector_linear_supports({randn({1, 32768}, torch::kBFloat16)},
                                               randn({2, 32768}, torch::kBFloat16), {}));
  EXPECT_THROW(kernels::vector_linear({randn({2, 64}, torch::kBFloat16)}, weight, {}),
               std::exception);
}

TEST_F(VectorLinearTest, WantsNoAutograd) {
  torch::AutoGradMode enable(true);
  const auto weight = randn({16, 64}, torch::kFloat32);
  EXPECT_FALSE(kernels::vector_linear_supports({randn({1, 64}, torch::kFloat32)}, weight, {}));
}

}  // namespace
}  // namespace kvchain
