// The byte-level BPE encoder on the embedded base's tokenizer.json: one word of N random
// letters (a single pre-tokenizer piece, all of it merged by BPE: linear in N up to a log
// factor). bench/README.md has the numbers.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "engine/tokenizer/bpe_tokenizer.h"

namespace kvchain {
namespace {

const BpeTokenizer& tokenizer() {
  static const auto loaded = BpeTokenizer::from_file(KVCHAIN_BASE_DIR "/tokenizer.json");
  return loaded;
}

void BM_EncodeLongWord(benchmark::State& state) {
  std::mt19937 random(1);
  std::string word;
  for (int64_t i = 0; i < state.range(0); ++i) word += static_cast<char>('a' + random() % 26);
  size_t ids = 0;
  for (auto _ : state) ids = tokenizer().encode(word).size();
  state.counters["letters_per_s"] = benchmark::Counter(
      static_cast<double>(state.range(0) * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["ids"] = static_cast<double>(ids);
}
BENCHMARK(BM_EncodeLongWord)
    ->Arg(5000)
    ->Arg(20000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kvchain

BENCHMARK_MAIN();
