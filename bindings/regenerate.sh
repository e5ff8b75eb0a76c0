#!/usr/bin/env bash
# Regenerates the Panama bindings (bindings/src/main/java/dev/tangent/bindings/{dnnl,cuda,cublas,omp,tangentcpu})
# from the C headers and the include lists in bindings/includes/, with bindings/generator/jextract_lite.py.
#
#   bindings/regenerate.sh           rewrite the committed sources
#   bindings/regenerate.sh --check   regenerate into a temp dir; fail with a diff if the committed sources differ
#
# Needs /usr/bin/python3 with libclang's Python bindings (Debian: apt-get install -y python3-clang-14).
# It installs nothing. With --check and no libclang it prints "skipped: ..." and succeeds.
# Inputs (environment):
#   DNNL_JAR      org.bytedeco:dnnl:<ver>:linux-x86_64 jar holding the oneDNN headers
#                 (default: the local Maven repository; fetch it with
#                  mvn dependency:get -Dartifact=org.bytedeco:dnnl:3.13-1.5.14:jar:linux-x86_64)
#   CUDA_INCLUDE  folder holding cuda.h (default: $CUDA_HOME/include, then /usr/local/cuda*/include)
#   PYTHON        interpreter (default /usr/bin/python3)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
PY=${PYTHON:-/usr/bin/python3}
DNNL_VERSION=3.13-1.5.14
src_root="$here/src/main/java"
pkg_dir=dev/tangent/bindings

if ! "$PY" -c 'import clang.cindex as c; c.Index.create()' >/dev/null 2>&1; then
  why="$PY cannot import clang.cindex with a working libclang (install: apt-get install -y python3-clang-14)"
  if [ "$mode" = check ]; then echo "bindings check skipped: $why"; exit 0; fi
  echo "regenerate.sh: $why" >&2; exit 1
fi

DNNL_JAR=${DNNL_JAR:-$HOME/.m2/repository/org/bytedeco/dnnl/$DNNL_VERSION/dnnl-$DNNL_VERSION-linux-x86_64.jar}
if [ ! -f "$DNNL_JAR" ]; then
  echo "regenerate.sh: oneDNN header jar not found at $DNNL_JAR;" \
       "fetch it with: mvn dependency:get -Dartifact=org.bytedeco:dnnl:$DNNL_VERSION:jar:linux-x86_64" >&2
  exit 1
fi

if [ -z "${CUDA_INCLUDE:-}" ]; then
  for d in "${CUDA_HOME:-/nonexistent}/include" /usr/local/cuda/include /usr/local/cuda-*/include; do
    if [ -f "$d/cuda.h" ]; then CUDA_INCLUDE=$d; break; fi
  done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the headers leave the jar (it also holds ~90 MB of libraries).
"$PY" - "$DNNL_JAR" "$tmp/dnnl" <<'PYEOF'
import sys, zipfile
prefix = "org/bytedeco/dnnl/linux-x86_64/include/"
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith(prefix) and not n.endswith("/"):
            z.extract(n, sys.argv[2])
PYEOF
dnnl_inc="$tmp/dnnl/org/bytedeco/dnnl/linux-x86_64/include"

gen() { "$PY" "$here/generator/jextract_lite.py" --output "$tmp/out" "$@"; }
gen --target-package dev.tangent.bindings.dnnl --header-class-name dnnl_h -I "$dnnl_inc" \
    @"$here/includes/dnnl.txt" "$dnnl_inc/oneapi/dnnl/dnnl.h" "$dnnl_inc/oneapi/dnnl/dnnl_debug.h"
gen --target-package dev.tangent.bindings.cublas --header-class-name cublas_h \
    @"$here/includes/cublas.txt" "$here/headers/cublas_subset.h"
packages=(dnnl cublas)
# Our own native/cpu/tangent_cpu.h; symbols resolve in libtangent_cpu.so by its SONAME (--library).
gen --target-package dev.tangent.bindings.tangentcpu --header-class-name tangent_cpu_h --library tangent_cpu \
    @"$here/includes/tangent_cpu.txt" "$here/../native/cpu/tangent_cpu.h"
packages+=(tangentcpu)
omp_h=$(gcc -print-file-name=include/omp.h 2>/dev/null || true)
if [ -f "$omp_h" ]; then
  # clang rejects GCC's __malloc__(deallocator) attribute: reduce it to plain __malloc__.
  gen --target-package dev.tangent.bindings.omp --header-class-name omp_h -D '__malloc__(...)=__malloc__' \
      @"$here/includes/omp.txt" "$omp_h"
  packages+=(omp)
else
  echo "bindings: omp.h not found (gcc -print-file-name=include/omp.h): skipped dev.tangent.bindings.omp, committed sources kept"
fi
if [ -n "${CUDA_INCLUDE:-}" ]; then
  gen --target-package dev.tangent.bindings.cuda --header-class-name cuda_h -I "$CUDA_INCLUDE" \
      @"$here/includes/cuda.txt" "$CUDA_INCLUDE/cuda.h"
  packages+=(cuda)
else
  echo "bindings: cuda.h not found (set CUDA_INCLUDE or CUDA_HOME): skipped dev.tangent.bindings.cuda, committed sources kept"
fi

status=0
for p in "${packages[@]}"; do
  if [ "$mode" = check ]; then
    if ! diff -ru "$src_root/$pkg_dir/$p" "$tmp/out/$pkg_dir/$p"; then
      echo "bindings check FAILED: committed dev.tangent.bindings.$p differs from the generator's output" \
           "(diff above: - committed, + generated); run bindings/regenerate.sh and commit" >&2
      status=1
    fi
  else
    rm -rf "${src_root:?}/$pkg_dir/$p"
    mkdir -p "$src_root/$pkg_dir"
    cp -r "$tmp/out/$pkg_dir/$p" "$src_root/$pkg_dir/$p"
  fi
done
if [ "$mode" = check ] && [ $status -eq 0 ]; then
  echo "bindings check passed: ${packages[*]} match the headers and include lists"
elif [ "$mode" = write ]; then
  echo "bindings regenerated: ${packages[*]}"
fi
exit $status
