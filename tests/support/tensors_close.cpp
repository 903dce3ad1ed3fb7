// tensors_close A B TOLERANCE: whether two safetensors files hold the same tensor names and
// shapes with values at most TOLERANCE apart; prints the largest difference. Exit 0 when they
// do, 1 otherwise. For CLI tests whose runs agree up to float rounding (data-parallel training).
#include <cstdlib>
#include <iostream>

#include "engine/io/error.h"
#include "engine/io/safetensors.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: tensors_close A B TOLERANCE\n";
    return 1;
  }
  try {
    kvchain::SafetensorsFile a(argv[1]), b(argv[2]);
    const double tolerance = std::atof(argv[3]);
    double largest = 0;
    for (const auto& [name, entry] : a.entries()) {
      if (!b.contains(name))
        throw kvchain::Error(std::string(argv[2]) + ": no tensor '" + name + "'");
      const auto x = a.load(name).to(torch::kFloat64), y = b.load(name).to(torch::kFloat64);
      if (x.sizes() != y.sizes()) throw kvchain::Error("'" + name + "' differs in shape");
      largest = std::max(largest, (x - y).abs().max().item<double>());
    }
    if (a.entries().size() != b.entries().size())
      throw kvchain::Error("the files hold other tensors");
    std::cout << "largest difference " << largest << "\n";
    return largest <= tolerance ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
