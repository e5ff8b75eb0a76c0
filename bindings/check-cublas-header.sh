#!/usr/bin/env bash
# Proves bindings/headers/cublas_subset.h says what NVIDIA's real cublas_api.h says, on a host that has it:
#   1. every enum constant the subset declares has the same value in the real headers;
#   2. every prototype in the subset redeclares the real function compatibly (C rejects a conflicting
#      redeclaration), and a pointer of the subset's function type accepts the real function.
# usage: bindings/check-cublas-header.sh [--require] [INCLUDE_DIR ...]
#   INCLUDE_DIR  folders holding cublas_api.h and the CUDA runtime headers it includes
#                (default: $CUDA_INCLUDE, $CUDA_HOME/include, /usr/local/cuda*/include,
#                 /usr/local/cuda*/targets/*/include, pip's nvidia/{cublas,cuda_runtime}/include)
#   --require    fail (instead of printing "skipped: ...") when no cublas_api.h or C compiler is found
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
subset="$here/headers/cublas_subset.h"
require=0
dirs=()
for a in "$@"; do
  case "$a" in --require) require=1 ;; *) dirs+=("$a") ;; esac
done
skip() { if [ $require = 1 ]; then echo "cublas header check FAILED: $1" >&2; exit 1; fi; echo "cublas header check skipped: $1"; exit 0; }

if [ ${#dirs[@]} -eq 0 ]; then
  [ -n "${CUDA_INCLUDE:-}" ] && dirs+=("$CUDA_INCLUDE")
  [ -n "${CUDA_HOME:-}" ] && dirs+=("$CUDA_HOME/include")
  for d in /usr/local/cuda/include /usr/local/cuda-*/include /usr/local/cuda*/targets/*/include /usr/include \
           /usr/lib/python3*/site-packages/nvidia/*/include /usr/local/lib/python3*/dist-packages/nvidia/*/include \
           /usr/local/lib/python3*/site-packages/nvidia/*/include; do
    [ -d "$d" ] && dirs+=("$d")
  done
fi
found=""
for d in "${dirs[@]}"; do [ -f "$d/cublas_api.h" ] && { found=$d; break; }; done
[ -n "$found" ] || skip "no cublas_api.h in: ${dirs[*]:-(no folders)} (pass the folder that holds it)"
CC=${CC:-}
if [ -z "$CC" ]; then for c in cc gcc clang; do command -v $c >/dev/null && { CC=$c; break; }; done; fi
[ -n "$CC" ] || skip "no C compiler (cc, gcc or clang) to compile the check"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
incs=()
for d in "${dirs[@]}"; do incs+=("-I$d"); done

# 1. enum values: the same list of names, printed once through each header.
names=$(grep -oE '^[[:space:]]+(CUBLAS|CUDA)_[A-Z0-9_]+[[:space:]]*=' "$subset" | tr -d ' =\t')
prog() { # $1: include lines
  { printf '#include <stdio.h>\n%s\nint main(void) {\n' "$1"
    for n in $names; do printf '  printf("%%s %%lld\\n", "%s", (long long)(%s));\n' "$n" "$n"; done
    printf '  return 0;\n}\n'; }
}
prog '#include <cublas_api.h>' > "$tmp/real.c"
prog "#include \"$subset\"" > "$tmp/subset.c"
$CC -std=gnu11 -w "${incs[@]}" -o "$tmp/real" "$tmp/real.c"
$CC -std=gnu11 -w -o "$tmp/subset" "$tmp/subset.c"
"$tmp/real" > "$tmp/real.txt"
"$tmp/subset" > "$tmp/subset.txt"
if ! diff -u "$tmp/real.txt" "$tmp/subset.txt"; then
  echo "cublas header check FAILED: enum values differ (- real $found/cublas_api.h, + subset)" >&2
  exit 1
fi

# 2. prototypes: redeclare every subset function on top of the real header, and take its address
#    through a pointer of the subset's own function type.
funcs=$(grep -oE '^[a-zA-Z_][a-zA-Z0-9_ ]*[ *]+(cublas[A-Za-z0-9_]+)\(' "$subset" | grep -oE 'cublas[A-Za-z0-9_]+\($' | tr -d '(')
{ printf '#include <cublas_api.h>\n#define TANGENT_CUBLAS_SUBSET_NO_TYPES\n#include "%s"\n' "$subset"
  for f in $funcs; do printf '__typeof__(%s) *tangent_check_%s = %s;\n' "$f" "$f" "$f"; done
} > "$tmp/protos.c"
if ! $CC -std=gnu11 -Werror=incompatible-pointer-types "${incs[@]}" -c -o "$tmp/protos.o" "$tmp/protos.c"; then
  echo "cublas header check FAILED: a subset prototype conflicts with $found/cublas_api.h (compiler output above)" >&2
  exit 1
fi
echo "cublas header check passed against $found/cublas_api.h: $(echo $names | wc -w) enum values, $(echo $funcs | wc -w) prototypes"
