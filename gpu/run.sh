#!/usr/bin/env bash
# Runs on the GPU host (CUDA 13, Python with PyTorch, no JDK, no network), from the repo root,
# with .gpu/ made by gpu/pack.sh:
#   1. the kernels' self-test (native/test/run-selftest.sh: "N passed, M failed")
#   2. the CUDA backend's JUnit tests, with JUnit's console launcher on the packed runtime
#   3. the benchmark (gpu/bench/CudaBench.java): seed jvp, MLP jvp at B=1/1024/8192, element-wise 2^24
#   4. PyTorch on the same workloads (gpu/torch_ref.py), when `import torch` works
#   5. serving (gpu/bench/GpuServing.java, issue 15): 1, 2, 4, 8, 32 request threads issuing batch-1
#      MLP jvps on the one device (plan and eager), calls/s and p50/p99/p99.9
# and prints a table. Each stage goes on after a failure; the summary names the failed ones.
# Logs go to $OUT (when set) or .gpu/logs. Total time: about 4-6 minutes.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
logs=${OUT:-$root/.gpu/logs}
mkdir -p "$logs"
start=$(date +%s)
declare -A status
stamp() { echo "[$(( $(date +%s) - start ))s] $*"; }

# ---- 0. runtime and host facts
if [ ! -f .gpu/jre.tgz ]; then
  echo "run: .gpu/jre.tgz missing: run gpu/pack.sh on the build machine and carry .gpu" >&2
  exit 1
fi
jre=/tmp/tangent-jre
rm -rf "$jre" && mkdir -p "$jre" && tar xzf .gpu/jre.tgz -C "$jre"
JAVA="$jre/jre/bin/java"
"$JAVA" -version > "$logs/java-version.txt" 2>&1 && status[runtime]=ok || status[runtime]=FAILED
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; } > "$logs/gpu.txt" 2>&1
stamp "host: $(head -1 "$logs/gpu.txt")  java: $(head -1 "$logs/java-version.txt")  commit: $(cat .gpu/COMMIT 2>/dev/null)"
CP=".gpu/tangent-bindings.jar:.gpu/tangent.jar"
JOPTS=(--enable-native-access=ALL-UNNAMED -Xss8m)

# ---- 1. kernel self-test
stamp "stage 1: kernel self-test"
timeout 150 bash native/test/run-selftest.sh /tmp/tangent-selftest-build > "$logs/selftest.log" 2>&1
rc=$?
selftest=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$logs/selftest.log" | tail -1)
if [ $rc -eq 0 ] && echo "$selftest" | grep -q ' 0 failed'; then status[selftest]="ok ($selftest)"; else status[selftest]="FAILED rc=$rc (${selftest:-no summary}; see selftest.log)"; fi
stamp "  ${status[selftest]}"

# ---- 2. JUnit
stamp "stage 2: CUDA JUnit tests"
timeout 150 "$JAVA" "${JOPTS[@]}" -jar .gpu/junit-console.jar execute \
  -cp "$CP:.gpu/test-classes" --select-package dev.tangent.backend.cuda \
  --details=tree --disable-banner --disable-ansi-colors > "$logs/junit.log" 2>&1
rc=$?
junit=$(grep -E 'tests (successful|failed|aborted)' "$logs/junit.log" | tr -s ' []' ' ' | paste -sd, -)
if [ $rc -eq 0 ] && ! grep -qE '\[ +[1-9][0-9]* tests aborted' "$logs/junit.log"; then status[junit]="ok ($junit)"; else status[junit]="FAILED rc=$rc ($junit; see junit.log)"; fi
stamp "  ${status[junit]}"
grep -E '✘' "$logs/junit.log" | head -20
grep -m1 'Assumption failed' "$logs/junit.log"

# ---- 3. Tangent benchmark
stamp "stage 3: Tangent benchmark"
timeout 130 "$JAVA" "${JOPTS[@]}" -cp "$CP:.gpu/bench" CudaBench "$logs/tangent_bench.tsv" > "$logs/bench.log" 2>&1
rc=$?
[ $rc -eq 0 ] && status[bench]=ok || status[bench]="FAILED rc=$rc (see bench.log)"
cat "$logs/bench.log" | grep -v '^\s*at ' | head -40
stamp "  ${status[bench]}"

# ---- 4. PyTorch reference
stamp "stage 4: PyTorch reference"
if python3 -c 'import torch; assert torch.cuda.is_available()' > "$logs/torch-check.log" 2>&1; then
  timeout 90 python3 gpu/torch_ref.py "$logs/torch_bench.tsv" > "$logs/torch.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] && status[torch]=ok || status[torch]="FAILED rc=$rc (see torch.log)"
  cat "$logs/torch.log" | head -40
else
  status[torch]="skipped (no torch with CUDA: $(tail -1 "$logs/torch-check.log"))"
fi
stamp "  ${status[torch]}"

# ---- 5. serving: request threads on one device
stamp "stage 5: serving (request threads on one GPU)"
timeout 90 "$JAVA" "${JOPTS[@]}" -cp "$CP:.gpu/bench" GpuServing "$logs/serving.tsv" 2 > "$logs/serving.log" 2>&1
rc=$?
[ $rc -eq 0 ] && status[serving]=ok || status[serving]="FAILED rc=$rc (see serving.log)"
grep -v '^\s*at ' "$logs/serving.log" | head -20
stamp "  ${status[serving]}"

# ---- summary
python3 - "$logs/tangent_bench.tsv" "$logs/torch_bench.tsv" > "$logs/summary.txt" 2>&1 <<'PY'
import os, sys
def load(p):
    d = {}
    if os.path.exists(p):
        for line in open(p).read().splitlines()[1:]:
            f = line.split("\t")
            if len(f) >= 4:
                d.setdefault(f[0], {})[f[1]] = (f[2], f[3])
    return d
tg, pt = load(sys.argv[1]), load(sys.argv[2])
names = list(dict.fromkeys(list(tg) + list(pt)))
def cell(d, w, m):
    v = d.get(w, {}).get(m)
    return "-" if v is None else (v[0] if v[0] == "FAILED" else f"{v[0]}/{v[1]}")
cols = [("tangent", tg, "eager"), ("tangent", tg, "plan"), ("tangent", tg, "plan+graph"),
        ("torch", pt, "func eager"), ("torch", pt, "functional"), ("torch", pt, "func graph")]
print("jvp timings, microseconds, median/p90 (each call ends with a stream synchronize)")
hdr = f"{'workload':40s}" + "".join(f"{a + ' ' + m:>24s}" for a, _, m in cols)
print(hdr)
for w in names:
    print(f"{w:40s}" + "".join(f"{cell(d, w, m):>24s}" for _, d, m in cols))
PY
echo
cat "$logs/summary.txt"
echo
echo "stages:"
failed=0
for s in runtime selftest junit bench torch serving; do
  echo "  $s: ${status[$s]:-not run}"
  case "${status[$s]:-}" in ok*|skipped*) ;; *) failed=1 ;; esac
done
stamp "done; logs in $logs"
exit $failed
