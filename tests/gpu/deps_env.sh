# Sourced by the GPU scripts: unpacks the carried Debian packages and points the loader and
# CMake at them and at PyTorch's libtorch. Sets bundle, deps, out and torch_prefix.
bundle=$PWD/.gpu-bundle
deps=/tmp/kvchain-deps
out=${OUT:-/tmp/kvchain-out}
mkdir -p "$deps" "$out"
for deb in "$bundle"/debs/*.deb; do dpkg -x "$deb" "$deps"; done
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
