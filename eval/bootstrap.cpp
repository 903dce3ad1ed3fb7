#include "eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/io/error.h"

namespace kvchain::eval {
namespace {

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (const double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

// The means of `resamples` bootstrap samples of `values`, sorted.
std::vector<double> resampled_means(const std::vector<double>& values, int64_t resamples,
                                    uint64_t seed) {
  if (resamples < 1) throw Error("bootstrap: resamples must be positive");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
  std::vector<double> means;
  means.reserve(static_cast<size_t>(resamples));
  for (int64_t r = 0; r < resamples; ++r) {
    double sum = 0;
    for (size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
    means.push_back(sum / static_cast<double>(values.size()));
  }
  std::sort(means.begin(), means.end());
  return means;
}

double percentile(const std::vector<double>& sorted, double q) {
  const auto index = static_cast<size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
  return sorted[index];
}

}  // namespace

Estimate bootstrap_mean(const std::vector<double>& values, int64_t resamples, uint64_t seed) {
  if (values.empty()) return {};
  const auto means = resampled_means(values, resamples, seed);
  return {mean_of(values), percentile(means, 0.025), percentile(means, 0.975)};
}

PairedTest paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                            int64_t resamples, uint64_t seed) {
  if (a.size() != b.size()) {
    throw Error("paired test: " + std::to_string(a.size()) + " scores against " +
                std::to_string(b.size()) + " (the systems must score the same examples)");
  }
  std::vector<double> difference(a.size());
  PairedTest test;
  for (size_t i = 0; i < a.size(); ++i) {
    difference[i] = a[i] - b[i];
    test.differing += a[i] != b[i];
  }
  if (difference.empty()) return test;
  const auto means = resampled_means(difference, resamples, seed);
  const double observed = mean_of(difference);
  test.difference = {observed, percentile(means, 0.025), percentile(means, 0.975)};
  if (observed == 0) return test;
  const auto other_side = std::count_if(means.begin(), means.end(),
                                        [&](double m) { return observed > 0 ? m <= 0 : m >= 0; });
  // Counting the observed sample among the resamples keeps p above zero (Davison & Hinkley).
  test.p_value = std::min(
      1.0, 2.0 * static_cast<double>(other_side + 1) / static_cast<double>(means.size() + 1));
  return test;
}

double no_difference_bound(int64_t n) {
  return 1.0 - std::pow(0.025, 1.0 / static_cast<double>(n));
}

PairedTest paired_bootstrap_of_scores(const std::vector<double>& a, const std::vector<double>& b,
                                      int64_t resamples, uint64_t seed) {
  // The bound below holds only where one example moves the mean by at most 1.
  for (const auto* scores : {&a, &b}) {
    for (size_t i = 0; i < scores->size(); ++i) {
      const double v = (*scores)[i];
      if (!(v >= 0 && v <= 1)) {
        throw Error("paired test: example " + std::to_string(i) + " of system " +
                    (scores == &a ? "A" : "B") + " scores " + std::to_string(v) +
                    ", outside [0, 1]");
      }
    }
  }
  auto test = paired_bootstrap(a, b, resamples, seed);
  if (a.empty() || test.differing > 0) return test;
  const double bound = no_difference_bound(static_cast<int64_t>(a.size()));
  test.difference = {0.0, -bound, bound};
  return test;
}

}  // namespace kvchain::eval
