// The `kvchain` tool: one subcommand per job, each group registered from its own file.
#include <c10/util/Exception.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/data_parallel_launch.h"
#include "engine/io/error.h"
#include "engine/model/host_memory.h"

namespace {

// Every command's --out, at any depth, names a path: an empty one would write into the root
// of the file system ("" + "/corpus.jsonl").
void refuse_empty_outputs(CLI::App& command) {
  if (auto* out = command.get_option_no_throw("--out")) {
    out->check(CLI::Validator(
        [](std::string& path) { return path.empty() ? "an empty path" : std::string(); }, "PATH"));
  }
  for (auto* sub : command.get_subcommands({})) refuse_empty_outputs(*sub);
}

}  // namespace

int main(int argc, char** argv) {
  kvchain::keep_freed_host_memory();
  kvchain::app::remember_command_line(argc, argv);
  CLI::App app{"kvchain: chains of prompt-tuned language models sharing one KV cache (FTHSS)"};
  app.require_subcommand(1);
  kvchain::app::register_model_commands(app);
  kvchain::app::register_tokenizer_commands(app);
  kvchain::app::register_pretrain_command(app);
  kvchain::app::register_data_commands(app);
  kvchain::app::register_experiment_commands(app);
  kvchain::app::register_alignment_commands(app);
  kvchain::app::register_retriever_commands(app);
  kvchain::app::register_eval_commands(app);
  refuse_empty_outputs(app);
  // Every failure, a usage error included, ends in one "error: ..." line and exit status 1.
  // Only --help (and an empty command line's help) exits 0 from here.
  try {
    // CLI11 takes an unknown word for a missing subcommand; name it instead.
    const auto subcommands = app.get_subcommands({});
    if (argc > 1 && argv[1][0] != '-' &&
        std::none_of(subcommands.begin(), subcommands.end(),
                     [&](CLI::App* sub) { return sub->check_name(argv[1]); })) {
      std::cerr << "error: unknown command '" << argv[1] << "' (see kvchain --help)\n";
      return 1;
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << "error: " << e.what() << " (see kvchain --help)\n";
    return 1;
  } catch (const kvchain::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error: libtorch: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "error: " << e.what() << "\n";  // names the path(s) and the system's reason
    return 1;
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "error: JSON: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
