// The fast paths of a forward against their plain forms: the offset causal mask, attention for a
// few query rows, RoPE as matrices and stacked projections.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "engine/kernels/fused_ops.h"
#include "engine/model/attention.h"
#include "engine/model/rope.h"
#include "engine/model/stacked_linear.h"
#include "engine/torch_compat.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using test::max_abs_diff;
using test::test_device;

torch::Tensor randn(std::vector<int64_t> shape, torch::ScalarType dtype = torch::kFloat32) {
  return torch::randn(shape, torch::TensorOptions().device(test_device())).to(dtype);
}

// The largest difference of `actual` from `expected` (float32) relative to each expected value's
// size.
double max_relative_difference(const torch::Tensor& actual, const torch::Tensor& expected) {
  return ((actual.to(torch::kFloat32) - expected).abs() / (expected.abs() + 1e-3))
      .max()
      .item<double>();
}

// The mask of new token i at slot past+i, which may see slots 0..past+i.
torch::Tensor offset_causal_mask(int64_t rows, int64_t columns) {
  return torch::ones({1, 1, rows, columns}, torch::TensorOptions().dtype(torch::kBool))
      .tril(columns - rows)
      .to(test_device());
}

TEST(AttentionTest, CausalBehindACacheEqualsItsExplicitMask) {
  torch::manual_seed(1);
  // A cache longer than the new rows (bfloat16 on a GPU: the flash kernel) and shorter (blank
  // rows in front of the queries); float32 elsewhere takes the masked kernel.
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    for (int64_t rows : {5, 8}) {
      auto q = randn({1, 8, rows, 64}, dtype), k = randn({1, 2, 12, 64}, dtype);
      auto v = randn({1, 2, 12, 64}, dtype);
      auto fast = compat::attention(q, k, v, torch::Tensor(), /*causal=*/true);
      auto plain = compat::attention(q, k, v, offset_causal_mask(rows, 12), false);
      EXPECT_LT(max_abs_diff(fast.to(torch::kFloat32), plain.to(torch::kFloat32)),
                dtype == torch::kFloat32 ? 1e-5 : 2e-2)
          << c10::toString(dtype) << " rows " << rows;
    }
  }
}

TEST(AttentionTest, CausalWithoutACacheIsTheUsualTriangle) {
  torch::manual_seed(2);
  auto q = randn({1, 4, 6, 32}), k = randn({1, 2, 6, 32}), v = randn({1, 2, 6, 32});
  auto fast = compat::attention(q, k, v, torch::Tensor(), /*causal=*/true);
  auto plain = compat::attention(q, k, v, offset_causal_mask(6, 6), false);
  EXPECT_LT(max_abs_diff(fast, plain), 1e-5);
}

TEST(AttentionTest, AMaskOverTheFirstRowsLeavesTheRestCausal) {
  // Behind a 4-slot cache, 10 new tokens: the first 3 see only some slots, the rest are causal.
  auto model = test::small_model(6);
  torch::NoGradGuard no_grad;
  auto ids = torch::randint(3, 90, {1, 10}, torch::kInt64);
  auto full = torch::ones({1, 1, 10, 14}, torch::kBool).tril(4);
  full.narrow(2, 0, 3).narrow(3, 1, 2).fill_(false);
  auto prefix = torch::randint(3, 90, {1, 4}, torch::kInt64);
  auto run = [&](const torch::Tensor& mask) {
    auto cache = model->make_cache(1);
    ForwardArgs first;
    first.input_ids = prefix;
    first.cache = &cache;
    model->forward(first);
    ForwardArgs args;
    args.input_ids = ids;
    args.cache = &cache;
    args.attention_mask = mask;
    auto logits = model->forward(args).logits;
    return std::pair{logits, cache.keys(0)};
  };
  const auto [expected, expected_keys] = run(full);
  const auto [partial, partial_keys] = run(full.narrow(2, 0, 3).narrow(3, 0, 7));
  EXPECT_LT(max_abs_diff(partial, expected), 1e-5);
  EXPECT_LT(max_abs_diff(partial_keys, expected_keys), 1e-6);
  // The mask matters: without it the first rows would see the hidden slots.
  EXPECT_GT(max_abs_diff(run(torch::Tensor()).first.narrow(1, 0, 3), expected.narrow(1, 0, 3)),
            1e-3);
  const auto message = test::error_message([&] { run(full.narrow(2, 0, 3)); });
  EXPECT_NE(message.find("expected [1|1, 4|1, 3, 7]"), std::string::npos) << message;
}

TEST(AttentionTest, FewQueryRowsEqualTheGeneralPath) {
  torch::manual_seed(3);
  auto k = randn({1, 2, 10, 32}), v = randn({1, 2, 10, 32});
  // A decode step, and as many tokens as FTHSS's prefill of a member's input.
  for (int64_t tokens : {1, 3, 8}) {
    auto q = randn({1, 8, tokens, 32});
    auto visible = torch::rand({1, 1, tokens, 10}).to(test_device()) > 0.3;
    visible.select(3, 0).fill_(true);  // no row sees nothing
    auto additive = torch::zeros({1, 1, tokens, 10}, q.options())
                        .masked_fill_(visible.logical_not(), -INFINITY);
    auto expected = compat::attention(q, k, v, visible, false);
    EXPECT_LT(max_abs_diff(few_query_attention(q, k, v, visible), expected), 1e-5) << tokens;
    EXPECT_LT(max_abs_diff(few_query_attention(q, k, v, additive), expected), 1e-5) << tokens;
    EXPECT_LT(max_abs_diff(few_query_attention(q, k, v, torch::Tensor()),
                           compat::attention(q, k, v, torch::Tensor(), false)),
              1e-5)
        << tokens;
  }
  // Many rows under a small score budget go a block of rows at a time, as the whole does.
  auto many = randn({2, 8, 7, 32});
  auto keys = randn({2, 2, 10, 32}), values = randn({2, 2, 10, 32});
  auto rows_visible = torch::rand({2, 1, 7, 10}).to(test_device()) > 0.3;
  rows_visible.select(3, 0).fill_(true);
  const auto whole = few_query_attention(many, keys, values, rows_visible);
  const int64_t one_row = 2 * 8 * 10 * (many.element_size() + 4);
  EXPECT_LT(max_abs_diff(few_query_attention(many, keys, values, rows_visible, 3 * one_row), whole),
            1e-6);
  EXPECT_LT(max_abs_diff(few_query_attention(many, keys, values, torch::Tensor(), one_row),
                         few_query_attention(many, keys, values, torch::Tensor())),
            1e-6);
  // A mask per query head keeps each head's own row.
  auto q = randn({1, 8, 1, 32});
  auto per_head = torch::rand({1, 8, 1, 10}).to(test_device()) > 0.5;
  per_head.select(3, 9).fill_(true);
  EXPECT_LT(max_abs_diff(few_query_attention(q, k, v, per_head),
                         compat::attention(q, k, v, per_head, false)),
            1e-5);
}

TEST(AttentionTest, FusedRotaryWriteEqualsTheComposedPath) {
  ModelConfig config = ModelConfig::from_json(test::small_config_json(), "small config");
  const auto heads = config.num_attention_heads, kv_heads = config.num_key_value_heads;
  const auto d = config.head_dim;
  RotaryEmbedding rotary(config);
  auto slot =
      torch::full({1}, 5, torch::TensorOptions().dtype(torch::kInt64).device(test_device()));
  auto probe = randn({2, 1, heads + 2 * kv_heads, d});
  auto probe_tables = rotary.tables(torch::zeros({2, 1}, slot.options()), torch::kFloat32);
  auto probe_cache = torch::zeros({2, kv_heads, 8, d}, probe.options());
  if (!kernels::rotary_write_supports(probe, probe_tables.cos, probe_tables.sin, probe_cache,
                                      probe_cache, slot)) {
    KVCHAIN_SKIP_CUDA_ONLY("the fused kernels need a CUDA device and kvchain's CUDA kernels");
  }
  torch::manual_seed(8);
  auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
  // Heads of 8 (one element at a time in bfloat16) and of 128 (Llama's: 16-byte words); five
  // tokens written at slots 3..7, their queries into a caller's [B, rows, H, D] layout behind
  // three blank rows, as a prefill behind a cache writes them.
  for (int64_t hidden : {32, 512}) {
    auto json = test::small_config_json();
    json["hidden_size"] = hidden;
    const auto wide = ModelConfig::from_json(json, "small config");
    const auto h = wide.num_attention_heads, h_kv = wide.num_key_value_heads, dim = wide.head_dim;
    RotaryEmbedding wide_rotary(wide);
    const int64_t t = 5, past = 3;
    auto slots = torch::arange(past, past + t, slot.options());
    auto positions = torch::arange(t, slot.options()).unsqueeze(0) +
                     torch::tensor({17, 3000}, slot.options()).unsqueeze(1);
    for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      const auto name = std::string(c10::toString(dtype)) + " head_dim " + std::to_string(dim);
      auto qkv = randn({2, t, h + 2 * h_kv, dim}, dtype);
      auto tables = wide_rotary.tables(positions, dtype);
      auto keys = torch::zeros({2, h_kv, 10, dim}, qkv.options());
      auto values = torch::zeros_like(keys);
      auto padded = torch::zeros({2, past + t, h, dim}, qkv.options());
      auto q = kernels::rotary_write(qkv, tables.cos, tables.sin, keys, values, slots,
                                     padded.narrow(1, past, t).transpose(1, 2));
      auto rotated = tables.apply(qkv.narrow(2, 0, h + h_kv));
      // Relative to the largest value: the composed bfloat16 path rounds three times, the
      // kernel once.
      const double tolerance = dtype == torch::kFloat32 ? 1e-5 : 2e-2;
      auto off = [&](const torch::Tensor& actual, const torch::Tensor& wanted) {
        return max_abs_diff(f32(actual), f32(wanted)) /
               std::max(1.0, f32(wanted).abs().max().item<double>());
      };
      EXPECT_TRUE(q.is_alias_of(padded)) << name;
      EXPECT_LT(off(padded.narrow(1, past, t), rotated.narrow(2, 0, h)), tolerance) << name;
      EXPECT_EQ((padded.narrow(1, 0, past) != 0).sum().item<int64_t>(), 0) << name;
      EXPECT_LT(off(keys.narrow(2, past, t), rotated.narrow(2, h, h_kv).transpose(1, 2)), tolerance)
          << name;
      EXPECT_TRUE(values.narrow(2, past, t).equal(qkv.narrow(2, h + h_kv, h_kv).transpose(1, 2)))
          << name;
      EXPECT_EQ((keys != 0).sum().item<int64_t>(),
                (keys.narrow(2, past, t) != 0).sum().item<int64_t>())
          << name;
      // Without a layout of the caller's: a new contiguous [B, H, T, D].
      auto fresh = kernels::rotary_write(qkv, tables.cos, tables.sin, keys, values, slots);
      EXPECT_TRUE(fresh.is_contiguous()) << name;
      EXPECT_TRUE(fresh.equal(q)) << name;
    }
  }
}

TEST(AttentionTest, FusedSiluMulEqualsSiluTimesUp) {
  if (!kernels::silu_mul_supports(randn({1, 8}))) {
    KVCHAIN_SKIP_CUDA_ONLY("the fused kernels need a CUDA device and kvchain's CUDA kernels");
  }
  torch::manual_seed(9);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    for (int64_t width : {24, 13}) {  // vector loads, and one element at a time
      auto gate_up = randn({3, 5, 2 * width}, dtype) * 4;
      auto expected = (torch::silu(gate_up.narrow(-1, 0, width).to(torch::kFloat32)) *
                       gate_up.narrow(-1, width, width).to(torch::kFloat32));
      auto fused = kernels::silu_mul(gate_up);
      ASSERT_EQ(fused.sizes(), expected.sizes());
      // One rounding to the output type: relative to each value's size.
      const double relative = max_relative_difference(fused, expected);
      EXPECT_LT(relative, dtype == torch::kFloat32 ? 1e-5 : 1e-2)
          << c10::toString(dtype) << " width " << width;
    }
  }
}

TEST(AttentionTest, FusedRmsNormEqualsTransformersRounding) {
  auto weight = randn({8});
  if (!kernels::rms_norm_supports(randn({2, 8}), weight)) {
    KVCHAIN_SKIP_CUDA_ONLY("the fused kernels need a CUDA device and kvchain's CUDA kernels");
  }
  torch::manual_seed(10);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    // A decode step's row (vector loads, a thread per group), rows wider than 1,024 groups, and
    // one element at a time.
    for (int64_t width : {4096, 12288, 13}) {
      auto x = randn({3, 5, width}, dtype) * 3, w = randn({width}, dtype);
      const double eps = 1e-5;
      auto h = x.to(torch::kFloat32);
      h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
      auto expected = (w * h.to(dtype)).to(torch::kFloat32);
      auto fused = kernels::rms_norm(x, w, eps);
      ASSERT_EQ(fused.sizes(), x.sizes());
      ASSERT_EQ(fused.scalar_type(), dtype);
      // bfloat16: the normalised input may round the other way, and its product with it (a unit
      // in the last place each, up to 0.8%).
      const double relative = max_relative_difference(fused, expected);
      EXPECT_LT(relative, dtype == torch::kFloat32 ? 1e-5 : 2e-2)
          << c10::toString(dtype) << " width " << width;
    }
  }
}

TEST(AttentionTest, FusedAddLinearRmsNormEqualsAddmmThenNorm) {
  if (!kernels::add_linear_rms_norm_supports(randn({1, 8}), randn({4, 8}), randn({1, 4}),
                                             randn({4}))) {
    KVCHAIN_SKIP_CUDA_ONLY("the fused kernels need a CUDA device and kvchain's CUDA kernels");
  }
  torch::manual_seed(12);
  const double eps = 1e-5;
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    if (!kernels::add_linear_rms_norm_supports(randn({1, 8}, dtype), randn({4, 8}, dtype),
                                               randn({1, 4}, dtype), randn({4}, dtype))) {
      // Halves need libtorch 2.8's float32 product of them.
      EXPECT_FALSE(compat::kFloatProductOfHalves) << c10::toString(dtype);
      continue;
    }
    // A decode step's row and FTHSS's 8 rows, vector loads; widths of one element at a time.
    for (auto [rows, width] : {std::pair<int64_t, int64_t>{1, 4096}, {8, 40}, {3, 13}}) {
      const auto name = std::string(c10::toString(dtype)) + " rows " + std::to_string(rows) +
                        " width " + std::to_string(width);
      auto x = randn({1, rows, 64}, dtype), weight = randn({width, 64}, dtype);
      auto residual = randn({1, rows, width}, dtype) * 3, norm_weight = randn({width}, dtype);
      auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
      // transformers: the layer's output in x's type, its sum with the residual, the norm.
      auto sum = (f32(residual) + f32(torch::matmul(f32(x), f32(weight).t()).to(dtype))).to(dtype);
      auto h = f32(sum);
      h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
      auto expected = f32(norm_weight * h.to(dtype));
      auto normed = kernels::add_linear_rms_norm(x, weight, residual, norm_weight, eps);
      ASSERT_EQ(normed.sizes(), residual.sizes()) << name;
      // Relative to the largest value: summed in another order, the product may round the other
      // way in bfloat16 (a unit in its last place), and a sum near zero keeps that error.
      const double tolerance = dtype == torch::kFloat32 ? 1e-5 : 2e-2;
      auto off = [&](const torch::Tensor& actual, const torch::Tensor& wanted) {
        return max_abs_diff(f32(actual), f32(wanted)) / f32(wanted).abs().max().item<double>();
      };
      EXPECT_LT(off(residual, sum), tolerance) << name;
      EXPECT_LT(off(normed, expected), tolerance) << name;
    }
  }
  // More rows than a split product pays for, or autograd: the composed path's.
  EXPECT_FALSE(kernels::add_linear_rms_norm_supports(randn({9, 8}), randn({4, 8}), randn({9, 4}),
                                                     randn({4})));
  // Parameters want gradients: only no-grad mode (inference) takes the fused path.
  auto wanting = randn({4, 8}).requires_grad_();
  EXPECT_FALSE(
      kernels::add_linear_rms_norm_supports(randn({1, 8}), wanting, randn({1, 4}), randn({4})));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      kernels::add_linear_rms_norm_supports(randn({1, 8}), wanting, randn({1, 4}), randn({4})));
}

TEST(AttentionTest, FusedArgmaxEqualsTorchArgmax) {
  if (!kernels::argmax_supports(randn({8}))) {
    KVCHAIN_SKIP_CUDA_ONLY("the fused kernels need a CUDA device and kvchain's CUDA kernels");
  }
  torch::manual_seed(11);
  auto expect_argmax = [](const torch::Tensor& x, const std::string& what) {
    auto index = kernels::argmax(x);
    ASSERT_EQ(index.sizes(), (std::vector<int64_t>{1})) << what;
    EXPECT_EQ(index.item<int64_t>(), x.argmax().item<int64_t>()) << what;
  };
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    // A vocabulary's logits (more elements than the blocks cover at once), and a few.
    for (int64_t n : {128256, 37}) {
      const auto name = std::string(c10::toString(dtype)) + " n " + std::to_string(n);
      auto x = randn({n}, dtype) * 5;
      expect_argmax(x, name);
      x.fill_(-1e4).narrow(0, n / 2, 1).fill_(-3);
      expect_argmax(x, name + " all negative");
      x.narrow(0, 1, 1).fill_(-3);  // equal largest values: the first
      expect_argmax(x, name + " tie");
      x.fill_(-1e4).narrow(0, 3, 1).fill_(-0.0);  // -0 and +0 are equal: the first
      x.narrow(0, 9, 1).fill_(0.0);
      expect_argmax(x, name + " signed zeros");
      x.narrow(0, n - 2, 1).fill_(std::numeric_limits<float>::quiet_NaN());
      expect_argmax(x, name + " NaN");
    }
  }
  auto infinite = torch::full({300}, -std::numeric_limits<float>::infinity(),
                              torch::TensorOptions().device(test_device()));
  expect_argmax(infinite, "all -inf");
}

TEST(AttentionTest, RotaryMatricesEqualTheFormula) {
  ModelConfig config = ModelConfig::from_json(test::small_config_json(), "small config");
  RotaryEmbedding rotary(config);
  const auto d = config.head_dim;
  auto positions = torch::tensor({7, 300, 4095}, torch::kInt64).view({1, 3}).to(test_device());
  auto tables = rotary.tables(positions, torch::kFloat32);
  ASSERT_TRUE(tables.by_matrix());
  auto x = randn({1, 3, 5, d});
  auto rotated = torch::cat({-x.narrow(-1, d / 2, d / 2), x.narrow(-1, 0, d / 2)}, -1);
  EXPECT_LT(max_abs_diff(tables.apply(x), x * tables.cos + rotated * tables.sin), 1e-5);
  auto long_positions = torch::arange(40, torch::kInt64).view({1, 40}).to(test_device());
  EXPECT_FALSE(rotary.tables(long_positions, torch::kFloat32).by_matrix());
}

TEST(StackedLinearTest, EqualsItsPartsAndKeepsTheirParameters) {
  torch::manual_seed(4);
  namespace nn = torch::nn;
  nn::Linear a(nn::LinearOptions(6, 4).bias(true)), b(nn::LinearOptions(6, 3).bias(true));
  a->to(test_device());
  b->to(test_device());
  StackedLinear stacked({a, b});
  auto x = randn({2, 6});
  auto expected = torch::cat({a->forward(x), b->forward(x)}, -1).detach();
  auto a_weight = a->weight.detach().clone();
  {
    torch::NoGradGuard no_grad;
    EXPECT_LT(max_abs_diff(stacked.forward(x), expected), 1e-6);
  }
  // The parameters are now rows of one matrix, with their values and shapes unchanged...
  EXPECT_EQ(static_cast<const char*>(b->weight.data_ptr()),
            static_cast<const char*>(a->weight.data_ptr()) + a->weight.nbytes());
  EXPECT_EQ(a->weight.sizes(), torch::IntArrayRef({4, 6}));
  EXPECT_LT(max_abs_diff(a->weight, a_weight), 1e-9);
  // ...a change to them reaches the stacked product...
  {
    torch::NoGradGuard no_grad;
    a->weight.mul_(2);
    auto changed = torch::cat({a->forward(x), b->forward(x)}, -1);
    EXPECT_LT(max_abs_diff(stacked.forward(x), changed), 1e-6);
  }
  // ...gradients still reach each part's weights...
  auto loss = stacked.forward(x).sum();
  loss.backward();
  ASSERT_TRUE(a->weight.grad().defined());
  EXPECT_LT(max_abs_diff(b->weight.grad(), x.sum(0).expand({3, 6})), 1e-5);
  // ...and a move to another dtype is stacked again.
  a->to(torch::kFloat64);
  b->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  auto moved = stacked.forward(x.to(torch::kFloat64));
  EXPECT_EQ(moved.scalar_type(), torch::kFloat64);
  EXPECT_LT(
      max_abs_diff(
          moved,
          torch::cat({a->forward(x.to(torch::kFloat64)), b->forward(x.to(torch::kFloat64))}, -1)),
      1e-6);
}

}  // namespace
}  // namespace kvchain
