#include "engine/distributed/rank_placement.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/io/error.h"

namespace kvchain {
int64_t environment_integer(const char* name, int64_t low, int64_t high,
                            std::optional<int64_t> fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    if (fallback) return *fallback;
    throw Error(std::string("environment: ") + name + " is not set (a data-parallel run needs " +
                "RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)");
  }
  char* end = nullptr;
  const auto value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < low || value > high) {
    throw Error(std::string("environment: ") + name + "='" + text + "' is not a number from " +
                std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

ShareRange contiguous_share(int64_t count, int64_t share, int64_t shares) {
  return {count * share / shares, count * (share + 1) / shares};
}

std::optional<RankPlacement> rank_placement_from_environment() {
  if (std::getenv("WORLD_SIZE") == nullptr) return std::nullopt;
  RankPlacement placement;
  placement.world_size = environment_integer("WORLD_SIZE", 1, 65536, std::nullopt);
  placement.rank = environment_integer("RANK", 0, placement.world_size - 1, std::nullopt);
  placement.local_world_size =
      environment_integer("LOCAL_WORLD_SIZE", 1, placement.world_size, placement.world_size);
  placement.local_rank = environment_integer("LOCAL_RANK", 0, placement.local_world_size - 1,
                                             placement.rank % placement.local_world_size);
  const char* addr = std::getenv("MASTER_ADDR");
  if (addr != nullptr && *addr != '\0') placement.master_addr = addr;
  placement.master_port = environment_integer("MASTER_PORT", 1, 65535, placement.master_port);
  return placement;
}

int64_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("data parallel: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool found = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!found) throw Error("data parallel: cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

}  // namespace kvchain
