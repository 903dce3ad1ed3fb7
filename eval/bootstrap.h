#pragma once

#include <cstdint>
#include <vector>

namespace kvchain::eval {

// A mean over examples with its bootstrap 95% confidence interval (percentile method).
struct Estimate {
  double mean = 0, low = 0, high = 0;
};

// `resamples` draws of n examples with replacement, seeded, so a report is reproducible.
Estimate bootstrap_mean(const std::vector<double>& values, int64_t resamples = 1000,
                        uint64_t seed = 0);

// Paired bootstrap test of system A against system B on the same examples (Koehn 2004;
// Berg-Kirkpatrick et al. 2012): the mean difference A - B with its 95% interval, and the
// two-sided p-value, twice the share of resamples whose difference falls on the other side of
// zero (or is zero) from the observed one, the observed sample counted among them, so the
// smallest p is 2 / (resamples + 1). A zero observed difference gets p = 1.
struct PairedTest {
  Estimate difference;
  double p_value = 1;
  int64_t differing = 0;  // examples whose A and B differ
};

PairedTest paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                            int64_t resamples = 1000, uint64_t seed = 0);

// The paired test of A - B where each example's scores lie in [0, 1] (EM, F1, accuracy): the
// paired bootstrap, except where no example's scores differ. There every resample's mean is 0
// and the bootstrap's interval [0, 0] claims an equality that n examples cannot show: the
// interval is instead the exact bound on the share of examples whose scores could differ
// unseen, +-(1 - 0.025^(1/n)) (Clopper-Pearson with no such example), each moving the mean by
// at most 1 (no_difference_bound). With 20 examples that is +-0.168; it falls under 0.03 from
// 122 examples. A score outside [0, 1] is an Error.
double no_difference_bound(int64_t n);
PairedTest paired_bootstrap_of_scores(const std::vector<double>& a, const std::vector<double>& b,
                                      int64_t resamples = 1000, uint64_t seed = 0);

}  // namespace kvchain::eval
