#!/usr/bin/env bash
# Makes benchmarks/target/jax-venv, a Python virtual environment with jax and jaxlib from the package
# registry pip is configured for (pip's own config: index-url, extra-index-url, find-links), for
# benchmarks/jax/bench_jax.py. Reuses the venv when `import jax` already works in it.
# Usage: benchmarks/jax/setup-venv.sh [<status json>]
#   Exit 0 and prints the venv's python on success. On failure exits 1, prints why, and (when a status
#   file is given) writes {"status": "unavailable", "error": "..."} there, which Report turns into
#   "JAX unavailable: <error>" in RESULTS.md; run-bench.sh goes on without JAX rows.
# Env: JAX_PYTHON (default python3) the interpreter to make the venv from; JAX_PIP_SPEC (default
#      "jax jaxlib") what to install, e.g. "jax==0.10.2 jaxlib==0.10.2".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/benchmarks/target/jax-venv"
log="$root/benchmarks/target/jax-setup.log"
status=${1:-}
py=${JAX_PYTHON:-python3}
spec=${JAX_PIP_SPEC:-jax jaxlib}
mkdir -p "$root/benchmarks/target"

fail() {  # <message>: the last lines of pip's output (or the message) go into the status file
  local msg=$1
  echo "JAX unavailable: $msg" >&2
  if [ -n "$status" ]; then
    "$py" - "$status" "$msg" <<'EOF' 2>/dev/null || printf '{"status": "unavailable", "error": "see benchmarks/target/jax-setup.log"}\n' > "$status"
import json, sys
json.dump({"status": "unavailable", "error": sys.argv[2]}, open(sys.argv[1], "w"), indent=1)
EOF
  fi
  exit 1
}

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import jax, jaxlib' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
command -v "$py" >/dev/null || fail "no $py on PATH (JAX_PYTHON names another interpreter)"
rm -rf "$venv"
if ! "$py" -m venv "$venv" > "$log" 2>&1; then
  fail "$py -m venv failed: $(tail -3 "$log" | tr '\n' ' ')"
fi
echo "+ $venv/bin/pip install $spec  (log: benchmarks/target/jax-setup.log)" >&2
# shellcheck disable=SC2086
if ! "$venv/bin/pip" install --no-input $spec >> "$log" 2>&1; then
  err=$(grep -E '^(ERROR|error):' "$log" | tail -3 | tr '\n' ' ')
  [ -n "$err" ] || err=$(tail -3 "$log" | tr '\n' ' ')
  fail "pip install $spec failed: $err"
fi
if ! ver=$("$venv/bin/python" -c 'import jax, jaxlib; print(jax.__version__, jaxlib.__version__, jax.devices()[0].platform)' 2>>"$log"); then
  fail "jax installed but does not import: $(tail -3 "$log" | tr '\n' ' ')"
fi
echo "JAX ready: jax/jaxlib/platform $ver" >&2
echo "$venv/bin/python"
