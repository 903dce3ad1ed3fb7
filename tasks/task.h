#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/chain/chain_runner.h"
#include "engine/io/json_file.h"

namespace kvchain::tasks {

// A single-round chain task: members run once each, in order (A -> B -> ...). A task only
// formats text; tasks/layouts.h turns it into training sequences and inference turns for every
// method, so the FTHSS, text-chain and distill variants of a task can never drift apart.
// `where` ("file:line") names the record in errors about missing or malformed fields.
class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual std::vector<std::string> members() const = 0;  // chain order

  // Content every member sees (e.g. the question); may be empty.
  virtual std::string shared(const Json& record, const std::string& where) const = 0;
  // Member `index`'s input. In text mode it carries the earlier members' outputs as text; in
  // shared mode those are already in the cache and the input is only the member's own part
  // (which may still depend on them, e.g. passages retrieved with an earlier member's queries).
  // Training passes the earlier members' targets as `earlier`, inference their outputs.
  virtual std::string input(const Json& record, const std::string& where, size_t index,
                            ChainMode mode, const std::vector<std::string>& earlier) const = 0;
  // Member `index`'s training target.
  virtual std::string target(const Json& record, const std::string& where, size_t index) const = 0;
  virtual int64_t max_new_tokens(size_t index) const = 0;

  // The distilled single model: reads `distill_input` (by default the first member's input),
  // writes every step and the answer in one output.
  virtual std::string distill_input(const Json& record, const std::string& where) const;
  virtual std::string distill_target(const Json& record, const std::string& where) const = 0;
  virtual std::string answer_from_distilled(const std::string& output) const = 0;
  virtual int64_t distill_max_new_tokens() const = 0;

  // The single-model baselines' input: the last member's answer tag after the retrieved
  // passages (Standard RAG, Prompt Tuning) or after nothing (Native).
  virtual std::string single_input(const Json& record, const std::string& where,
                                   bool with_passages) const = 0;

  // The text a member's prompt starts from (HF PEFT's TEXT initialisation); the distilled
  // model starts from the first member's, the single model from the last member's.
  virtual std::string prompt_init(size_t index) const;
  // The metrics the suite reports for this task ("em", "f1", "acc").
  virtual std::vector<std::string> metrics() const { return {"em", "f1"}; }

  // The gold answers the final output is scored against; by default the record's
  // "golden_answers".
  virtual std::vector<std::string> golden_answers(const Json& record,
                                                  const std::string& where) const;
};

// Makes the task registered under `name` for the world or dataset in `data_dir` (tasks that
// retrieve search its corpus); the error lists the known tasks.
std::unique_ptr<Task> make_task(const std::string& name, const std::string& data_dir);
std::vector<std::string> task_names();

}  // namespace kvchain::tasks
