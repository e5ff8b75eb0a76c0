#!/usr/bin/env bash
# Runs the JMH suite (DJL and Tangent side by side, same JVM flags) and writes
# benchmarks/RESULTS.md and benchmarks/results.png from benchmarks/target/jmh*.json.
# Usage: benchmarks/run-bench.sh [--quick]   (./tangent bench [--quick] calls this with JAVA_HOME set)
#        benchmarks/run-bench.sh --spark [--quick]   only the Spark throughput run (SparkJvpThroughput, see SPARK.md)
#        benchmarks/run-bench.sh --serving [--quick] only the serving run (ServingRun: request threads against one MLP;
#                                                    target/serving.json, target/serving.md, benchmarks/serving.png)
# Env: BENCH_THREADS ('1 2 default' in a full run) chooses the thread counts; BENCH_INCLUDE overrides the JMH include regex (e.g. 'DjlMlpBench', or 'Resnet18|Encoder' for the
# NN workloads only); JMH_EXTRA adds JMH options (to every pass); RESNET_TANGENT_BATCHES (e.g. '1,32')
# forces the batches of TangentResnet18Bench, which otherwise drops batch 32 while Tangent's conv2d is slow;
#      SPARK_BENCH_OPTS adds -D options to the Spark run (-Drows=, -Dthreads=, -Dreps=, -Dcases=).
#      BENCH_CPUS_1 (default 1) and BENCH_CPUS_2 (default 0,1): the cores (taskset -c) every engine's
#      threads=1 and threads=2 rows run on — JMH (DJL, Tangent) and JAX alike.
#      BENCH_JAX=0 skips JAX; JAX_PYTHON / JAX_PIP_SPEC: see benchmarks/jax/setup-venv.sh.
#      The full run also times Tangent's benchmarks at threads=default (adaptive threading, cores $BENCH_CPUS_2),
#      which RESULTS.md compares with the best fixed count.
#      SERVING_ARGS adds ServingRun options (--rounds N --seconds S --callers 1,8 --only REGEX); the full and quick
#      runs include the serving run unless BENCH_INCLUDE narrows them (SERVING_BENCH=1 forces it, 0 skips it).
#      SERVING_JAVA_OPTS adds JVM options to the serving run's JVMs (ServingRun hands its flags to every ServingLoad),
#      e.g. -Dtangent.budget.per_call=false to compare the per-kernel core slots.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
: "${JAVA_HOME:?set JAVA_HOME to a JDK >= 25 (./tangent bench does this)}"
java="$JAVA_HOME/bin/java"

mode=full
spark=false
serving_only=false
if [ "${1:-}" = --spark ]; then spark=true; shift; fi
if [ "${1:-}" = --serving ]; then serving_only=true; shift; fi
case "${1:-}" in
  --quick) mode=quick ;;
  "") ;;
  *) echo "usage: $0 [--spark|--serving] [--quick]" >&2; exit 2 ;;
esac

# The NN workloads (ResNet-18, encoder) are heavy: JMH runs them in passes of their own, with the
# warmup/measurement counts of their classes' annotations (1 fork, 10×1 s warmup — at 1 thread the JIT
# compiler shares the pinned core until it settles; 25×1 s for ResNet-18's vjp/hvp —, 3×1 s measurement).
nn_re='(Djl|Tangent)(Resnet18|Encoder)[A-Za-z]*Bench\.'
if [ "$mode" = quick ]; then
  jmh=(-f 1 -wi 1 -w 1s -i 2 -r 1s)
  nn_jmh=(-f 1 -wi 1 -i 2 -p batch=1)
  thread_counts=(1)
  jax_time=(--warmup 1 --measure 2)
  jax_nn=(resnet18=1 encoder=1)
  label="Quick run (1 thread only; 1 fork, 1×1 s warmup, 2×1 s measurement; ResNet-18 and encoder at batch 1): indicative only"
  memcalls=100
else
  jmh=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
  nn_jmh=(-f 1)
  read -r -a thread_counts <<< "${BENCH_THREADS:-1 2 default}"   # default: Tangent's benchmarks only (DJL's take numbers); BENCH_THREADS=1: 1-thread rows only
  jax_time=(--warmup 3 --measure 5)
  jax_nn=(resnet18=1,32 encoder=1,16)
  label="Full run (1 fork per benchmark, 3×1 s warmup, 5×1 s measurement; ResNet-18 and encoder: 10×1 s warmup (ResNet-18 vjp/hvp: 25×1 s), 3×1 s measurement)"
  memcalls=1000
fi

mvn -B -ntp -q -pl benchmarks -am package -DskipTests
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"

if [ "$spark" = true ]; then
  # Spark 4.2's own module options (what its launcher gives driver and executors) plus Tangent's flags.
  sflags=(--enable-native-access=ALL-UNNAMED -Xss8m -Xmx6g -XX:+IgnoreUnrecognizedVMOptions
          --add-modules=jdk.incubator.vector --sun-misc-unsafe-memory-access=allow
          -Dio.netty.tryReflectionSetAccessible=true)
  for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
           java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
    sflags+=("--add-opens=java.base/$p=ALL-UNNAMED")
  done
  if [ "$mode" = quick ]; then sopts=(-Drows=16384 -Dreps=3 -Dwarmup=1 -Dthreads=1); else sopts=(-Drows=131072 -Dreps=5 -Dwarmup=2 -Dthreads=1,2); fi
  mkdir -p benchmarks/target
  cat /proc/loadavg > benchmarks/target/spark-loadavg-start.txt 2>/dev/null || true
  echo "+ java <flags> ${sopts[*]} ${SPARK_BENCH_OPTS:-} -cp <benchmarks classpath> dev.tangent.bench.SparkJvpThroughput"
  # shellcheck disable=SC2086
  "$java" "${sflags[@]}" "${sopts[@]}" ${SPARK_BENCH_OPTS:-} -cp "$cp" dev.tangent.bench.SparkJvpThroughput \
    2> benchmarks/target/spark-bench.log | tee benchmarks/target/spark-bench.md
  cat /proc/loadavg > benchmarks/target/spark-loadavg-end.txt 2>/dev/null || true
  echo "written: benchmarks/target/spark-bench.md (stderr: benchmarks/target/spark-bench.log)"
  exit 0
fi
cache="$root/benchmarks/target/djl-cache"
# The same flags for the host JVM and every fork: offline DJL with its own cache, FFM for Tangent.
flags=(--enable-native-access=ALL-UNNAMED -Xss8m -Xms1g -Xmx1g -Djava.awt.headless=true
       -Dai.djl.offline=true "-DDJL_CACHE_DIR=$cache" "-DENGINE_CACHE_DIR=$cache")

# Serving under load (ServingRun -> ServingLoad, one JVM per configuration and round, the same flags).
run_serving() {
  local args=()
  [ "$mode" = quick ] && args+=(--quick)
  # shellcheck disable=SC2206
  args+=(${SERVING_ARGS:-})
  echo "+ java <flags> ${SERVING_JAVA_OPTS:-} -cp <benchmarks classpath> dev.tangent.bench.ServingRun ${args[*]}"
  # shellcheck disable=SC2086
  "$java" "${flags[@]}" ${SERVING_JAVA_OPTS:-} -cp "$cp" dev.tangent.bench.ServingRun "${args[@]}"
}
if [ "$serving_only" = true ]; then
  run_serving
  exit 0
fi
include="${BENCH_INCLUDE:-^dev\.tangent\.bench\..*Bench\.}"
jsons=()
for t in "${thread_counts[@]}"; do
  jsons+=(benchmarks/target/jmh-t$t.json benchmarks/target/jmh-nn-t$t.json benchmarks/target/jmh-resnet-t$t.json)
done
jax_json=benchmarks/target/jax.json
rm -f benchmarks/target/jmh*.json "$jax_json" benchmarks/target/nn-notes.txt benchmarks/target/memory.txt

# Every engine's threads=1 rows run on one core, threads=2 rows on two: JMH is started (its forks
# inherit the affinity) and JAX is run under `taskset -c`, once per thread count.
cpus_1=${BENCH_CPUS_1:-1}
cpus_2=${BENCH_CPUS_2:-0,1}
pin=()
pinned() {  # <threads>: sets pin to the taskset prefix for that thread count (empty if it cannot pin)
  local c; c=$([ "$1" = 1 ] && echo "$cpus_1" || echo "$cpus_2")   # threads=2 and threads=default: both cores
  if command -v taskset >/dev/null && taskset -c "$c" true 2>/dev/null; then
    pin=(taskset -c "$c")
  else
    pin=()
    echo "warning: cannot pin threads=$1 rows to cores $c (taskset missing or cores not available); running unpinned" >&2
  fi
}

# How many benchmarks a JMH include/exclude pair selects (0: that pass is skipped).
list() { "$java" "${flags[@]}" -cp "$cp" org.openjdk.jmh.Main -l -e "$1" "$include" | grep '^dev\.tangent\.bench\.' || true; }
count() { list "$1" | grep -c . || true; }
light_ex="$nn_re"                                          # everything but the NN workloads
nn_ex="^(?!.*$nn_re)|TangentResnet18Bench\."               # the NN workloads but Tangent's ResNet-18 forward/jvp
resnet_ex='^(?!.*TangentResnet18Bench\.)'                  # Tangent's ResNet-18 forward/jvp only
n_light=$(count "$light_ex"); n_nn=$(count "$nn_ex"); n_resnet=$(count "$resnet_ex")
# The workloads this run times (method prefixes: mlp, seed, elementwise, resnet18, encoder): JAX times those it has.
workloads=$(list '^$' | sed -n 's/.*\.\([a-z0-9]*\)_[A-Za-z]*$/\1/p' | sort -u | tr '\n' ' ')

# Fail before timing anything if a DJL variant computes something else (also unpacks libtorch once).
"$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.DjlSelfCheck 2>&1 | grep -v -e '^SLF4J' -e 'create_graph=True will create'
if [ $((n_nn + n_resnet)) -gt 0 ]; then
  # ResNet-18 and the encoder: DJL's variants agree, and Tangent's forward/jvp/plan/vjp/hvp equal DJL's.
  "$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.NnSelfCheck 2>&1 | grep -v -e '^SLF4J' -e 'create_graph=True will create'
fi

resnet_p=()
if [ "$n_resnet" -gt 0 ]; then
  if [ -n "${RESNET_TANGENT_BATCHES:-}" ]; then
    resnet_p=(-p "batch=$RESNET_TANGENT_BATCHES")
  elif [ "$mode" = full ]; then
    # Tangent's ResNet-18 at batch 32 needs a fast conv2d: on Java loops one forward takes minutes.
    speed=$("$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.ConvSpeed)
    echo "$speed" | head -1
    ms=$(echo "$speed" | awk '/^conv3x3_ms/ {print $2}')
    if awk -v ms="$ms" 'BEGIN {exit !(ms > 50)}'; then
      resnet_p=(-p batch=1)
      echo "Tangent ResNet-18 rows at batch 32 not run: $(echo "$speed" | head -1), over 50 ms (a batch-32 forward would take minutes); RESNET_TANGENT_BATCHES=1,32 forces them." \
        | tee benchmarks/target/nn-notes.txt
    fi
  fi
fi

cat /proc/loadavg > benchmarks/target/loadavg-start.txt 2>/dev/null || true
run_jmh() {  # <json stem> <exclude regex> <options...>: one pinned JMH run per thread count -> <stem>-t<n>.json
  local stem=$1 ex=$2; shift 2
  for t in "${thread_counts[@]}"; do
    local e=$ex
    if [ "$t" = default ]; then   # threads=default exists for Tangent's benchmarks only
      e="$ex|^dev\.tangent\.bench\.Djl"
      [ "$(count "$e")" -gt 0 ] || continue
    fi
    pinned "$t"
    local cmd=("${pin[@]}" "$java" "${flags[@]}" -cp "$cp" org.openjdk.jmh.Main "$@" -p "threads=$t" ${JMH_EXTRA:-}
               -jvmArgs "${flags[*]}" -rf json -rff "$stem-t$t.json" -e "$e" "$include")
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
  done
}
[ "$n_light" -gt 0 ] && run_jmh benchmarks/target/jmh "$light_ex" "${jmh[@]}"
[ "$n_nn" -gt 0 ] && run_jmh benchmarks/target/jmh-nn "$nn_ex" "${nn_jmh[@]}"
[ "$n_resnet" -gt 0 ] && run_jmh benchmarks/target/jmh-resnet "$resnet_ex" "${nn_jmh[@]}" "${resnet_p[@]}"

# JAX jit forward and jit(jvp) on the same workloads, weights and inputs (JaxExport writes them as .npy
# with Java's outputs, which bench_jax.py checks), pinned like the JMH rows. Without JAX the report says why.
jax_work=()
for w in $workloads; do
  case "$w" in
    mlp|seed|elementwise) jax_work+=("$w") ;;
    resnet18|encoder) for n in "${jax_nn[@]}"; do [ "${n%%=*}" = "$w" ] && jax_work+=("$n"); done ;;
  esac
done
jax_cmd=""
if [ "${BENCH_JAX:-1}" = 0 ]; then
  echo '{"status": "skipped", "error": "BENCH_JAX=0"}' > "$jax_json"
elif [ "${#jax_work[@]}" -gt 0 ] && jax_py=$(benchmarks/jax/setup-venv.sh "$jax_json"); then
  names=$(IFS=,; echo "${jax_work[*]%%=*}")
  if ! "$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.JaxExport benchmarks/target/jax-data "${jax_work[@]}" \
      > benchmarks/target/jax-export.log 2>&1; then
    tail -5 benchmarks/target/jax-export.log >&2
    printf '{"status": "unavailable", "error": "JaxExport failed, see benchmarks/target/jax-export.log"}\n' > "$jax_json"
    names=""
  fi
  [ -z "$names" ] || jax_cmd="JaxExport benchmarks/target/jax-data ${jax_work[*]}, then per thread count: taskset -c <cores> [threads=1: env XLA_FLAGS=--xla_cpu_multi_thread_eigen=false] benchmarks/target/jax-venv/bin/python benchmarks/jax/bench_jax.py --data benchmarks/target/jax-data --threads <n> --workloads $names ${jax_time[*]} --append --out $jax_json"
  for t in "${thread_counts[@]}"; do
    [ -n "$names" ] || break
    [ "$t" != default ] || continue   # JAX has no adaptive setting: its rows are threads=1 and 2
    pinned "$t"
    xla=()
    [ "$t" = 1 ] && xla=(env "XLA_FLAGS=${XLA_FLAGS:+$XLA_FLAGS }--xla_cpu_multi_thread_eigen=false")
    run_cmd="${pin[*]:+${pin[*]} }${xla[*]:+${xla[*]} }benchmarks/target/jax-venv/bin/python benchmarks/jax/bench_jax.py --data benchmarks/target/jax-data --threads $t --workloads $names ${jax_time[*]} --append --out $jax_json"
    echo "+ $run_cmd"
    "${pin[@]}" "${xla[@]}" "$jax_py" benchmarks/jax/bench_jax.py --data benchmarks/target/jax-data --out "$jax_json" --append \
      --threads "$t" --workloads "$names" "${jax_time[@]}" --cache benchmarks/target/jax-cache --command "$run_cmd" \
      || echo "JAX rows at threads=$t: bench_jax.py failed (rows that differ from Java's outputs are left out of the ratios)" >&2
  done
fi

# Native memory growth per call: DJL's variants, then Tangent's (same MLP, same inputs), batch 1.
# AlwaysPreTouch makes the 1 GB heap resident up front, so RSS growth is native memory only.
if [ "$n_light" -gt 0 ]; then
  {
    "$java" "${flags[@]}" -XX:+AlwaysPreTouch -Dthreads=1 -cp "$cp" dev.tangent.bench.DjlMemoryGrowth "$memcalls" 2>&1 \
      | grep -v -e '^SLF4J' -e 'create_graph=True will create' -e '^\s*$' -e 'Warning' || true
    "$java" "${flags[@]}" -XX:+AlwaysPreTouch -Dthreads=1 -cp "$cp" dev.tangent.bench.TangentMemoryGrowth "$memcalls" 2>&1 || true
  } | tee benchmarks/target/memory.txt
fi

if [ "${SERVING_BENCH:-}" = 1 ] || { [ -z "${BENCH_INCLUDE:-}" ] && [ "${SERVING_BENCH:-}" != 0 ]; }; then
  run_serving
else
  rm -f benchmarks/target/serving.json   # RESULTS.md gets no serving section from an older run
fi

cmd="./tangent bench${1:+ $1}  (JMH: taskset -c <cores> java <flags> -cp <benchmarks classpath> org.openjdk.jmh.Main <options> -p threads=<n> ${JMH_EXTRA:-}-jvmArgs '<flags>' -rf json -rff <json> -e <exclude> '$include', in up to three passes per thread count ($(IFS=,; echo "${thread_counts[*]}"); cores $cpus_1 for threads=1, $cpus_2 for the others; threads=default: Tangent's benchmarks only): MLP/seed/elementwise with ${jmh[*]}; ResNet-18 and encoder with ${nn_jmh[*]} ${resnet_p[*]:-}(iteration counts from the classes' annotations); flags: ${flags[*]//$root\//}${jax_cmd:+; JAX: $jax_cmd})"
json_list=$(IFS=,; echo "${jsons[*]}")
"$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.Report "$json_list" benchmarks "$label" "$cmd"
