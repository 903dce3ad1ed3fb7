// The `kvchain` tool: one subcommand per job, each group registered from its own file.
#include <c10/util/Exception.h>

#include <iostream>

#include "app/commands.h"
#include "engine/io/error.h"
#include "engine/model/host_memory.h"

int main(int argc, char** argv) {
  kvchain::keep_freed_host_memory();
  CLI::App app{"kvchain: chains of prompt-tuned language models sharing one KV cache (FTHSS)"};
  app.require_subcommand(1);
  kvchain::app::register_model_commands(app);
  kvchain::app::register_tokenizer_commands(app);
  kvchain::app::register_pretrain_command(app);
  kvchain::app::register_data_commands(app);
  kvchain::app::register_experiment_commands(app);
  kvchain::app::register_retriever_commands(app);
  kvchain::app::register_eval_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kvchain::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error (libtorch): " << e.what_without_backtrace() << "\n";
    return 1;
  }
  return 0;
}
