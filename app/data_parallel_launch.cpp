#include "app/data_parallel_launch.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "engine/distributed/rank_placement.h"
#include "engine/io/error.h"
#include "engine/model/device.h"

extern char** environ;

namespace kvchain::app {
namespace {

std::vector<std::string>& command_line() {
  static std::vector<std::string> arguments;
  return arguments;
}

std::chrono::milliseconds collective_timeout_setting() {
  return std::chrono::seconds(environment_integer("KVCHAIN_DIST_TIMEOUT_S", 1, 86400, 300));
}

// How a child ended, in words.
std::string ending(int status) {
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "failed with exit status " + std::to_string(WEXITSTATUS(status));
}

// The command line less its --nproc N (or --nproc=N).
std::vector<std::string> without_nproc(const std::vector<std::string>& arguments) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--nproc") {
      ++i;
    } else if (arguments[i].rfind("--nproc=", 0) != 0) {
      kept.push_back(arguments[i]);
    }
  }
  return kept;
}

}  // namespace

void remember_command_line(int argc, char** argv) {
  command_line().assign(argv, argv + argc);
}

void launch_local_ranks(int64_t nproc) {
  if (command_line().empty()) throw Error("data parallel: no command line to launch");
  const auto arguments = without_nproc(command_line());
  const auto port = std::to_string(free_loopback_port());
  // The environment of every rank: this one's, torchrun's variables replaced.
  std::map<std::string, std::string> shared;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals != std::string::npos) shared[text.substr(0, equals)] = text.substr(equals + 1);
  }
  shared["WORLD_SIZE"] = shared["LOCAL_WORLD_SIZE"] = std::to_string(nproc);
  shared["MASTER_ADDR"] = "127.0.0.1";
  shared["MASTER_PORT"] = port;
  std::cerr << "data parallel: starting " << nproc << " ranks on this host (rendezvous at "
            << "127.0.0.1:" << port << ")\n";
  std::map<pid_t, int64_t> ranks;
  for (int64_t rank = 0; rank < nproc; ++rank) {
    auto environment = shared;
    environment["RANK"] = environment["LOCAL_RANK"] = std::to_string(rank);
    std::vector<std::string> entries;
    for (const auto& [name, value] : environment) entries.push_back(name + "=" + value);
    std::vector<char*> envp, argv;
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);
    auto copy = arguments;
    for (auto& argument : copy) argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0) {
      for (const auto& [running, unused] : ranks) ::kill(running, SIGKILL);
      throw Error("data parallel: cannot start rank " + std::to_string(rank));
    }
    ranks[pid] = rank;
  }
  // Wait for every rank; after the first failure, the rest get the collectives' timeout and a
  // little more to end on their own.
  std::string failure;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (!ranks.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0 && ranks.count(pid)) {
      const auto rank = ranks[pid];
      ranks.erase(pid);
      if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && failure.empty()) {
        failure =
            "rank " + std::to_string(rank) + " of " + std::to_string(nproc) + " " + ending(status);
        deadline = std::chrono::steady_clock::now() + collective_timeout_setting() +
                   std::chrono::seconds(10);
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (const auto& [running, rank] : ranks) ::kill(running, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!failure.empty()) {
    throw Error("data parallel: " + failure +
                "; the run stopped (a rerun resumes from the last checkpoint)");
  }
}

std::shared_ptr<DataParallelGroup> join_data_parallel(
    std::string& device, std::optional<std::chrono::milliseconds> collective_timeout) {
  const auto placement = rank_placement_from_environment();
  if (!placement || placement->world_size == 1) return nullptr;
  if (device == "cuda") device = "cuda:" + std::to_string(placement->local_rank);
  // The host's cores shared among its ranks, unless the user set OpenMP's count.
  if (std::getenv("OMP_NUM_THREADS") == nullptr) {
    const auto cores = static_cast<int64_t>(std::thread::hardware_concurrency());
    torch::set_num_threads(
        static_cast<int>(std::max<int64_t>(1, cores / placement->local_world_size)));
  }
  const auto timeout = collective_timeout_setting();
  const auto group = DataParallelGroup::join(*placement, parse_device(device), timeout,
                                             collective_timeout.value_or(timeout));
  // One write, so that the ranks' lines on a shared stderr do not interleave.
  std::cerr << "data parallel: rank " + std::to_string(group->rank()) + " of " +
                   std::to_string(group->size()) + " on " + device + "\n";
  return group;
}

}  // namespace kvchain::app
