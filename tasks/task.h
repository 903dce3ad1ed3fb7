#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/chain/chain_runner.h"
#include "engine/io/json_file.h"
#include "tasks/task_settings.h"

namespace kvchain::tasks {

// A chain task. A task only formats text; tasks/layouts.h turns it into training sequences and
// inference turns for every method, so the FTHSS, text-chain and distill variants of a task can
// never drift apart. A chain runs in turns: in a single-round task each member once, in order
// (A -> B), so turn i is member i; a multi-round task decides from the outputs so far which
// member goes next and when the chain is done (A -> B -> A -> B ... up to a round limit).
// `where` ("file:line") names the record in errors about missing or malformed fields.
class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  // The task's name as the paper writes it ("Compression&QA"), for what a reader sees.
  virtual std::string title() const = 0;
  virtual std::vector<std::string> members() const = 0;  // chain order

  // Content every member sees (e.g. the question); may be empty.
  virtual std::string shared(const Json& record, const std::string& where) const = 0;
  // The index in members() of the member that takes turn `turn`, given the outputs of the
  // earlier turns (in training, their targets); nothing once the chain is done. By default each
  // member once, in order.
  virtual std::optional<size_t> member_of_turn(size_t turn,
                                               const std::vector<std::string>& earlier) const;
  // Multi-round chains train all members' prompts together under the cascade mask and put
  // every prompt ahead of the shared content (paper section 3.2.2).
  virtual bool multi_round() const { return false; }
  // Whether a chain's evaluation replays every turn but the last from its gold target instead
  // of decoding it (a diagnostic of how the last member reads an earlier output).
  virtual bool forces_gold_earlier_turns() const { return false; }

  // Turn `turn`'s input. In text mode it carries the earlier turns' outputs as text; in shared
  // mode those are already in the cache and the input is only the turn's own part (which may
  // still depend on them, e.g. passages retrieved with an earlier member's queries). Training
  // passes the earlier turns' targets as `earlier`, inference their outputs.
  virtual std::string input(const Json& record, const std::string& where, size_t turn,
                            ChainMode mode, const std::vector<std::string>& earlier) const = 0;
  // Turn `turn`'s training target.
  virtual std::string target(const Json& record, const std::string& where, size_t turn) const = 0;
  // The output budget of a turn of member `member` (an index in members()).
  virtual int64_t max_new_tokens(size_t member) const = 0;
  // The answer a finished chain gives, from its last turn's output; by default all of it.
  virtual std::string final_answer(const std::string& last_output) const;

  // The distilled single model: reads `distill_input` (by default the first member's input),
  // writes every step and the answer in one output.
  virtual std::string distill_input(const Json& record, const std::string& where) const;
  virtual std::string distill_target(const Json& record, const std::string& where) const = 0;
  virtual std::string answer_from_distilled(const std::string& output) const = 0;
  virtual int64_t distill_max_new_tokens() const = 0;

  // The single-model baselines' input: the answer tag after the retrieved passages (Standard
  // RAG, Prompt Tuning) or after nothing (Native). They answer with golden_answers' first.
  virtual std::string single_input(const Json& record, const std::string& where,
                                   bool with_passages) const = 0;

  // The text a member's prompt starts from (HF PEFT's TEXT initialisation); the distilled
  // model starts from the first member's, the single model from the last member's.
  virtual std::string prompt_init(size_t index) const;
  // The metrics the suite reports for this task ("em", "f1", "acc"), and which of them score
  // a record (a task that mixes kinds of question scores each kind by its own metric).
  virtual std::vector<std::string> metrics() const { return {"em", "f1"}; }
  virtual std::vector<std::string> metrics_of(const Json& record, const std::string& where) const;

  // The gold answers the final output is scored against; by default the record's
  // "golden_answers".
  virtual std::vector<std::string> golden_answers(const Json& record,
                                                  const std::string& where) const;
};

// Makes the task registered under `name` for the world or dataset in `data_dir` (tasks that
// retrieve search its corpus); the error lists the known tasks.
std::unique_ptr<Task> make_task(const std::string& name, const std::string& data_dir,
                                const TaskSettings& settings = {});
std::vector<std::string> task_names();

}  // namespace kvchain::tasks
