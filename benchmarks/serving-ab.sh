#!/usr/bin/env bash
# A/B of serving configurations in one run: ServingLoad JVMs (one per variant) interleaved round by
# round, so load from elsewhere hits every variant alike; prints one line per variant and request-thread
# count, plus the load average before each JVM. Build first (mvn -B -ntp -o -pl bindings,java,benchmarks -am package -DskipTests).
# Usage: benchmarks/serving-ab.sh <jvpPlan|jvp|forward> <callers, e.g. 1,8> <rounds> <seconds> VARIANT...
#   VARIANT = name:threads:flags   threads: default|1|2; flags: comma-separated JVM options (may be empty);
#   a name starting with "djl" runs DJL's PyTorch engine instead of Tangent (for jvpPlan: its by-hand jvp,
#   as in ServingRun).
# Example (per-call core slots vs per-kernel vs fixed counts):
#   benchmarks/serving-ab.sh jvpPlan 1,8 4 1 K:default:-Dtangent.budget.per_call=false C:default: F1:1: F2:2:
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
: "${JAVA_HOME:?set JAVA_HOME to a JDK >= 25}"
w=$1; callers=$2; rounds=$3; secs=$4; shift 4
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
cache="$root/benchmarks/target/djl-cache"
mkdir -p benchmarks/target/serving-logs
for r in $(seq 1 "$rounds"); do
  for v in "$@"; do
    name=${v%%:*}; rest=${v#*:}; thr=${rest%%:*}; fl=${rest#*:}
    eng=tangent; [[ $name == djl* ]] && eng=djl
    wl=$w; if [ "$eng" = djl ] && [ "$w" = jvpPlan ]; then wl=jvp; fi
    extra=(); [ -n "$fl" ] && IFS=',' read -r -a extra <<< "$fl"
    envs=(); if [ "$eng" = djl ] && [ "$thr" != default ]; then envs=(OMP_NUM_THREADS="$thr" MKL_NUM_THREADS="$thr"); fi
    echo "# r$r $name loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
    env "${envs[@]}" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xss8m -Xms1g -Xmx1g -Djava.awt.headless=true \
      -Dai.djl.offline=true "-DDJL_CACHE_DIR=$cache" "-DENGINE_CACHE_DIR=$cache" "${extra[@]}" \
      -cp "$cp" dev.tangent.bench.ServingLoad "$eng" "$thr" "$wl" "$secs" "$callers" \
      2> "benchmarks/target/serving-logs/ab-$name.log" | grep '^SERVING' | sed "s/^SERVING/$name/" || true
  done
done
echo "# end loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
