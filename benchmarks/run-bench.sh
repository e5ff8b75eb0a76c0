#!/usr/bin/env bash
# Runs the JMH suite (DJL and Tangent side by side, same JVM flags) and writes
# benchmarks/RESULTS.md and benchmarks/results.png from benchmarks/target/jmh.json.
# Usage: benchmarks/run-bench.sh [--quick]   (./tangent bench [--quick] calls this with JAVA_HOME set)
#        benchmarks/run-bench.sh --spark [--quick]   only the Spark throughput run (SparkJvpThroughput, see SPARK.md)
# Env: BENCH_INCLUDE overrides the JMH include regex (e.g. 'DjlMlpBench'); JMH_EXTRA adds JMH options;
#      SPARK_BENCH_OPTS adds -D options to the Spark run (-Drows=, -Dthreads=, -Dreps=, -Dcases=).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
: "${JAVA_HOME:?set JAVA_HOME to a JDK >= 25 (./tangent bench does this)}"
java="$JAVA_HOME/bin/java"

mode=full
spark=false
if [ "${1:-}" = --spark ]; then spark=true; shift; fi
case "${1:-}" in
  --quick) mode=quick ;;
  "") ;;
  *) echo "usage: $0 [--spark] [--quick]" >&2; exit 2 ;;
esac

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
if [ "$mode" = quick ]; then
  jmh=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p threads=1)
  label="Quick run (1 thread only; 1 fork, 1×1 s warmup, 2×1 s measurement): indicative only"
  memcalls=100
else
  jmh=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
  label="Full run (1 fork per benchmark, 3×1 s warmup, 5×1 s measurement)"
  memcalls=1000
fi

# Fail before timing anything if a DJL variant computes something else (also unpacks libtorch once).
"$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.DjlSelfCheck 2>&1 | grep -v -e '^SLF4J' -e 'create_graph=True will create'

cat /proc/loadavg > benchmarks/target/loadavg-start.txt 2>/dev/null || true
include="${BENCH_INCLUDE:-^dev\.tangent\.bench\..*Bench\.}"
jmh_cmd=("$java" "${flags[@]}" -cp "$cp" org.openjdk.jmh.Main "${jmh[@]}" ${JMH_EXTRA:-}
         -jvmArgs "${flags[*]}" -rf json -rff benchmarks/target/jmh.json "$include")
echo "+ ${jmh_cmd[*]}"
"${jmh_cmd[@]}"

# Native memory growth per call: DJL's variants, then Tangent's (same MLP, same inputs), batch 1.
# AlwaysPreTouch makes the 1 GB heap resident up front, so RSS growth is native memory only.
{
  "$java" "${flags[@]}" -XX:+AlwaysPreTouch -Dthreads=1 -cp "$cp" dev.tangent.bench.DjlMemoryGrowth "$memcalls" 2>&1 \
    | grep -v -e '^SLF4J' -e 'create_graph=True will create' -e '^\s*$' -e 'Warning' || true
  "$java" "${flags[@]}" -XX:+AlwaysPreTouch -Dthreads=1 -cp "$cp" dev.tangent.bench.TangentMemoryGrowth "$memcalls" 2>&1 || true
} | tee benchmarks/target/memory.txt

cmd="./tangent bench${1:+ $1}  (JMH: java <flags> -cp <benchmarks classpath> org.openjdk.jmh.Main ${jmh[*]} ${JMH_EXTRA:-}-jvmArgs '<flags>' -rf json -rff benchmarks/target/jmh.json '$include'; flags: ${flags[*]//$root\//})"
"$java" "${flags[@]}" -cp "$cp" dev.tangent.bench.Report benchmarks/target/jmh.json benchmarks "$label" "$cmd"
