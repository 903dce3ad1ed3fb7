# Sourced by the GPU scripts: unpacks the carried Debian packages and points the loader and
# CMake at them and at PyTorch's libtorch. Sets bundle, deps, out and torch_prefix.
bundle=$PWD/.gpu-bundle
deps=/tmp/kvchain-deps
out=${OUT:-/tmp/kvchain-out}
mkdir -p "$deps" "$out"
for deb in "$bundle"/debs/*.deb; do dpkg -x "$deb" "$deps"; done
# dpkg -x skips the alternatives that normally name the reference BLAS/LAPACK (FAISS needs them).
lib="$deps/usr/lib/x86_64-linux-gnu"
for name in blas lapack; do
  [ -e "$lib/lib$name.so" ] || ln -sf "$name/lib$name.so.3" "$lib/lib$name.so"
  [ -e "$lib/lib$name.so.3" ] || ln -sf "$name/lib$name.so.3" "$lib/lib$name.so.3"
done
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
