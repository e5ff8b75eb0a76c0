#!/usr/bin/env bash
# Builds libtangent_cpu.so and tc_bench (with oneDNN's matmul/eltwise for comparison when the
# bytedeco oneDNN jar and its libdnnl.so.3 are found), then runs it on one pinned core, 1 thread.
#
#   native/cpu/bench/run-bench.sh [gemv] [eltwise] [bandwidth]
#
# Environment: CORE (default 1), BUILD (default /tmp/tangent-cpu-bench), DNNL_JAR (default: the
# local Maven repository's org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64), DNNL_LIB (default: the
# libdnnl.so.3 Tangent extracted into ~/.cache/tangent/dnnl-3.13-1.5.14, else extracted here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${BUILD:-/tmp/tangent-cpu-bench}
core=${CORE:-1}
ver=3.13-1.5.14
jar=${DNNL_JAR:-$HOME/.m2/repository/org/bytedeco/dnnl/$ver/dnnl-$ver-linux-x86_64.jar}
mkdir -p "$build"
dnnl_args=()
if [ -f "$jar" ]; then
  python3 - "$jar" "$build/dnnl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith("org/bytedeco/dnnl/linux-x86_64/") and ("/include/" in n or n.endswith((".so.3", ".so.1"))) \
                and not n.endswith("/"):
            z.extract(n, sys.argv[2])
PY
  d=$build/dnnl/org/bytedeco/dnnl/linux-x86_64
  lib=${DNNL_LIB:-$HOME/.cache/tangent/dnnl-$ver/libdnnl.so.3}
  [ -f "$lib" ] || lib=$d/libdnnl.so.3
  dnnl_args=(-DTANGENT_DNNL_INCLUDE="$d/include" -DTANGENT_DNNL_LIBRARY="$lib")
else
  echo "run-bench: no oneDNN jar at $jar: oneDNN columns left out"
fi
cmake -S "$root/cmake" -B "$build/cmake" -DTANGENT_CUDA=OFF -DTANGENT_CPU=ON -DTANGENT_CPU_OUTPUT_DIR="$build/lib" \
      "${dnnl_args[@]}" >/dev/null
cmake --build "$build/cmake" -j 2 --target tc_bench >/dev/null
echo "machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), core $core; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
OMP_NUM_THREADS=1 taskset -c "$core" "$build/cmake/tc_bench" "$@"
