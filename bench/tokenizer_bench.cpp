// The BPE encoder: one word of N random letters (a single pre-tokenizer piece, all of it
// merged by BPE: linear in N up to a log factor), and a whole text in one call. The
// tokenizer.json is the embedded base's unless KVCHAIN_BENCH_TOKENIZER names another;
// BM_EncodeText reads KVCHAIN_BENCH_TEXT (dev/tokenizers/compare_hf.sh writes 1 MiB of prose
// and times HF's Rust tokenizers on the same). bench/README.md has the numbers.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <string>

#include "engine/io/text.h"
#include "engine/tokenizer/tokenizer.h"

namespace kvchain {
namespace {

const Tokenizer& tokenizer() {
  static const auto loaded = [] {
    const char* path = std::getenv("KVCHAIN_BENCH_TOKENIZER");
    return Tokenizer::from_file(path != nullptr ? path : KVCHAIN_BASE_DIR "/tokenizer.json");
  }();
  return loaded;
}

void report(benchmark::State& state, size_t bytes, size_t ids) {
  state.counters["bytes_per_s"] = benchmark::Counter(
      static_cast<double>(bytes * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["ids"] = static_cast<double>(ids);
}

void BM_EncodeLongWord(benchmark::State& state) {
  std::mt19937 random(1);
  std::string word;
  for (int64_t i = 0; i < state.range(0); ++i) word += static_cast<char>('a' + random() % 26);
  size_t ids = 0;
  for (auto _ : state) ids = tokenizer().encode(word).size();
  report(state, word.size(), ids);
}
BENCHMARK(BM_EncodeLongWord)
    ->Arg(5000)
    ->Arg(20000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_EncodeText(benchmark::State& state) {
  const char* path = std::getenv("KVCHAIN_BENCH_TEXT");
  if (path == nullptr) {
    state.SkipWithError("set KVCHAIN_BENCH_TEXT to a text file");
    return;
  }
  const auto text = read_text_file(path);
  size_t ids = 0;
  for (auto _ : state) ids = tokenizer().encode(text).size();
  report(state, text.size(), ids);
}
BENCHMARK(BM_EncodeText)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace kvchain

BENCHMARK_MAIN();
