#!/usr/bin/env bash
# Builds native/ into tangent_kernels.fatbin and copies it to <outdir>/tangent_kernels.fatbin.
# Called by java/pom.xml in generate-resources with <outdir> = target/classes/dev/tangent/cuda.
#
#   cmake/build-kernels.sh <outdir> [<cmake-build-dir>]
#
# - No nvcc on this machine: says so in one line and exits 0. The CUDA backend then reports
#   itself unavailable at run time; the CPU build and its tests are unaffected.
# - Incremental: when <outdir>/tangent_kernels.fatbin is newer than every file under native/
#   (the self-test and native/cpu excluded) and cmake/ (the CPU part's files excluded), nothing runs (the nvcc build takes ~35 s on 2 cores,
#   too much to pay on every `mvn test`). TANGENT_KERNELS_FORCE=1 rebuilds anyway.
set -euo pipefail

out_dir=${1:?usage: build-kernels.sh <outdir> [<cmake-build-dir>]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build_dir=${2:-$root/java/target/cmake-build}
target=$out_dir/tangent_kernels.fatbin

find_nvcc() {
  local c
  if c=$(command -v nvcc 2>/dev/null); then echo "$c"; return 0; fi
  for c in "${CUDA_HOME:-}/bin/nvcc" "${CUDA_PATH:-}/bin/nvcc" /usr/local/cuda/bin/nvcc /usr/local/bin/nvcc; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}

if ! nvcc_path=$(find_nvcc); then
  echo "tangent: nvcc not found, CUDA kernels not built (CUDA backend will be unavailable)"
  exit 0
fi

if [ -f "$target" ] && [ "${TANGENT_KERNELS_FORCE:-0}" != 1 ]; then
  newer=$(find "$root/native" "$here" \( -path "$root/native/test" -o -path "$root/native/cpu" \
                -o -name 'build-cpu.sh' -o -name 'tangent_cpu.cmake' \) -prune -o -type f -newer "$target" -print -quit)
  if [ -z "$newer" ]; then
    echo "tangent: CUDA kernels up to date ($target)"
    exit 0
  fi
fi

if ! command -v cmake >/dev/null 2>&1; then
  echo "tangent: cmake not found, CUDA kernels not built (CUDA backend will be unavailable)" >&2
  exit 0
fi

start=$(date +%s)
echo "tangent: building CUDA kernels with $nvcc_path"
cmake -S "$here" -B "$build_dir" -DTANGENT_NVCC="$nvcc_path" -DTANGENT_CPU=OFF \
      -DTANGENT_FATBIN_OUTPUT="$build_dir/tangent_kernels.fatbin" >/dev/null
cmake --build "$build_dir"
mkdir -p "$out_dir"
# Copy then rename so a reader (or an interrupted build) never sees half a file.
cp "$build_dir/tangent_kernels.fatbin" "$target.tmp"
mv -f "$target.tmp" "$target"
echo "tangent: CUDA kernels built in $(( $(date +%s) - start )) s -> $target"
