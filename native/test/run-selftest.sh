#!/usr/bin/env bash
# Builds tangent_kernels.fatbin (through cmake/, the same build Maven runs) and the self-test,
# then runs the self-test on GPU 0. Needs nvcc and a GPU; no JDK.
#
#   native/test/run-selftest.sh [build-dir] [filter-substring]
# Final line of output: "N passed, M failed". Exit status 0 iff nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-${TMPDIR:-/tmp}/tangent-selftest}
filter=${2:-}
mkdir -p "$build"

nvcc=$(command -v nvcc || true)
for c in "${CUDA_HOME:-}/bin/nvcc" /usr/local/cuda/bin/nvcc /usr/local/bin/nvcc; do
  [ -n "$nvcc" ] && break
  [ -x "$c" ] && nvcc=$c
done
if [ -z "$nvcc" ]; then echo "nvcc not found"; echo "0 passed, 1 failed"; exit 2; fi
cuda_root=$(cd "$(dirname "$nvcc")/.." && pwd)

fatbin=$build/tangent_kernels.fatbin
t0=$(date +%s)
if command -v cmake >/dev/null 2>&1; then
  cmake -S "$root/cmake" -B "$build/cmake" -DTANGENT_NVCC="$nvcc" -DTANGENT_FATBIN_OUTPUT="$fatbin" >/dev/null
  cmake --build "$build/cmake"
else
  # Same flags as cmake/CMakeLists.txt.
  "$nvcc" -fatbin -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90 \
    -gencode=arch=compute_90,code=compute_90 -O3 -std=c++17 --threads=0 -I "$root/native" \
    -o "$fatbin" "$root/native/tangent_kernels.cu"
fi
echo "fatbin built in $(( $(date +%s) - t0 )) s"

# libcuda: the toolkit's link stub at build time, the driver's libcuda.so.1 at run time.
link_dirs=()
for d in "$cuda_root/lib64/stubs" "$cuda_root/targets/x86_64-linux/lib/stubs" /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu; do
  [ -d "$d" ] && link_dirs+=("-L$d")
done
"$nvcc" -std=c++17 -O2 -o "$build/kernel_selftest" "$here/kernel_selftest.cu" "${link_dirs[@]}" -lcuda

exec "$build/kernel_selftest" "$fatbin" $filter
