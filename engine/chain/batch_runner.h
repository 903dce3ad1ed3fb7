#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/chain/chain_runner.h"

namespace kvchain {

// Runs many examples of a chain at once, with ChainRunner's outputs (greedy, so equal up to
// floating-point rounding) and a row of one batch cache per example in flight.
//
// Rows are padded, not packed: each row holds its own sequence at its own slots (KVCache's
// per-row named slots), with its own positions and segments, so a row's attention reads at most
// the batch's longest row instead of every row's tokens (packing's cost at thousands of
// intermediate tokens), and a row's tokens never need moving when another row changes.
//   - A turn's start is a prefill of the rows starting one, gathered into a batch of their own
//     and written back: their parts laid out as ChainRunner lays them out, left-padded so that
//     every row's last token ends the batch, the pads writing only slots after the row's own
//     and seeing only themselves.
//   - Then one decode step at a time for every decoding row, each at its own next slot and
//     position, under its own visibility (kept on the device as a mask over the slots).
//   - A row whose turn ends starts its next turn at the next prefill; a row whose example ends
//     takes the next example waiting, so no row waits for the batch's longest example; once
//     none waits, finished rows leave the batch.
class BatchRunner {
 public:
  using Planner = std::function<std::optional<TurnPlan>(const std::vector<TurnRecord>&)>;
  struct Example {
    std::vector<int64_t> shared;
    Planner next_turn;  // as ChainRunner::run's
  };

  BatchRunner(ChainModel& model, const Tokenizer* tokenizer, RunnerOptions options,
              int64_t batch_size);

  // Runs examples 0..count-1, `batch_size` at a time; `example(i)` is asked for example i when a
  // row takes it, and `finished(i, turns)` gets its turns when it ends (in finishing order).
  // A turn's prefill and decode seconds are those of the batched steps it took part in.
  void run(size_t count, const std::function<Example(size_t)>& example,
           const std::function<void(size_t, std::vector<TurnRecord>)>& finished);

 private:
  struct Row;
  void prefill(std::vector<Row>& rows, const std::vector<size_t>& starting, KVCache& cache,
               torch::Tensor& visible);
  void decode(std::vector<Row>& rows, KVCache& cache, torch::Tensor& visible);
  // After a row's newest token: its turn goes on, ends, or (shared mode, no EOS) caches that
  // token at the next step first.
  void after_token(Row& row, int64_t r, KVCache& cache);
  // Records the turn; in shared mode with eviction a done member's prompt and input leave row r.
  void end_turn(Row& row, int64_t r, KVCache& cache, StopReason reason);

  ChainModel& model_;
  const Tokenizer* tokenizer_;
  RunnerOptions options_;
  int64_t batch_size_;
  int64_t bytes_per_slot_;
};

}  // namespace kvchain
