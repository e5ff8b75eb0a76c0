#!/usr/bin/env bash
# Builds native/cpu into libtangent_cpu.so and puts it, with the libsleef.so.3 it needs, into
# <outdir> (java/pom.xml: target/classes/dev/tangent/cpu/linux-x86_64, a classpath resource folder).
#
#   cmake/build-cpu.sh <outdir> [<cmake-build-dir>]          build (generate-resources)
#   cmake/build-cpu.sh --test <outdir> [<cmake-build-dir>]   build, then run the C test (test phase)
#
# - No C compiler, cmake or SLEEF here (or not linux-x86_64): says so in one line and exits 0;
#   the native CPU kernels are then unavailable and everything else builds and tests as before.
# - Incremental: cmake's own dependency tracking (a no-op build takes well under a second).
# - --test runs build/tc_test with TC_TEST_POINTS points per op and dtype (default 131072 here,
#   ~3 s; the full 2^20 run is `ctest --test-dir <cmake-build-dir>` or tc_test alone).
#   TANGENT_SKIP_NATIVE_TESTS=1 skips it.
set -euo pipefail

mode=build
if [ "${1:-}" = --test ]; then mode=test; shift; fi
out_dir=${1:?usage: build-cpu.sh [--test] <outdir> [<cmake-build-dir>]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build_dir=${2:-$root/java/target/cmake-build-cpu}

skip() { echo "tangent: $1, libtangent_cpu.so not built (native CPU kernels unavailable)"; exit 0; }

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || skip "not linux-x86_64 ($(uname -s)-$(uname -m))"
cc=${CC:-}
if [ -z "$cc" ]; then
  for c in cc gcc clang; do if command -v "$c" >/dev/null 2>&1; then cc=$(command -v "$c"); break; fi; done
fi
[ -n "$cc" ] || skip "no C compiler (cc/gcc/clang)"
command -v cmake >/dev/null 2>&1 || skip "cmake not found"
sleef_h=$(echo '#include <sleef.h>' | "$cc" -E -x c - 2>/dev/null | sed -n 's/^# [0-9]* "\(.*sleef\.h\)".*/\1/p' | head -1)
[ -n "$sleef_h" ] || skip "SLEEF not found (Debian: apt-get install libsleef-dev)"

if [ "$mode" = test ]; then
  if [ "${TANGENT_SKIP_NATIVE_TESTS:-0}" = 1 ]; then echo "tangent: native CPU tests skipped (TANGENT_SKIP_NATIVE_TESTS=1)"; exit 0; fi
fi

mkdir -p "$build_dir"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build_dir" -DCMAKE_C_COMPILER="$cc" -DTANGENT_CUDA=OFF -DTANGENT_CPU=ON \
        -DTANGENT_CPU_OUTPUT_DIR="$build_dir/lib" >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log" >&2; exit 1; }
fi
cmake --build "$build_dir" -j 2 -- --no-print-directory >"$build_dir.build.log" 2>&1 \
  || { cat "$build_dir.build.log" >&2; exit 1; }
lib=$build_dir/lib/libtangent_cpu.so
if [ ! -f "$lib" ]; then
  # cmake skipped the part itself (its STATUS line says why)
  grep -h "tangent:" "$build_dir.configure.log" || true
  exit 0
fi

mkdir -p "$out_dir"
# Copy then rename so a reader (or an interrupted build) never sees half a file; only when changed.
for f in libtangent_cpu.so libsleef.so.3; do
  if ! cmp -s "$build_dir/lib/$f" "$out_dir/$f"; then
    cp "$build_dir/lib/$f" "$out_dir/$f.tmp"
    mv -f "$out_dir/$f.tmp" "$out_dir/$f"
  fi
done

if [ "$mode" = test ]; then
  echo "tangent: native CPU kernel test ($build_dir/tc_test, TC_TEST_POINTS=${TC_TEST_POINTS:-131072})"
  TC_TEST_POINTS=${TC_TEST_POINTS:-131072} "$build_dir/tc_test" > "$build_dir.test.log" 2>&1 \
    || { cat "$build_dir.test.log"; echo "tangent: native CPU kernel test FAILED (log: $build_dir.test.log)" >&2; exit 1; }
  grep -E "^(FAIL|libtangent_cpu|gemv )" "$build_dir.test.log" || true
  tail -1 "$build_dir.test.log"
else
  echo "tangent: libtangent_cpu.so and libsleef.so.3 -> $out_dir"
fi
