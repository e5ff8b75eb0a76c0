#!/usr/bin/env bash
# Runs the README's spark-submit line for real: a Spark 4.2 layout (SPARK_HOME/jars) made from the
# Maven jars, spark-submit's launcher (org.apache.spark.launcher.Main, what bin/spark-class runs),
# master local-cluster[2,1,1024] (two executor JVMs that fetch the --jars from the driver), the
# example application spark/src/test/java/dev/tangent/spark/SubmitExample.java.
# Usage: spark/submit-check.sh   (after: mvn -pl spark -am test-compile; JAVA_HOME = a JDK >= 25)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
: "${JAVA_HOME:?set JAVA_HOME to a JDK >= 25}"
work=spark/target/submit-check
rm -rf "$work"; mkdir -p "$work/spark-home/jars" "$work/app"
mvn -B -ntp -q -pl spark dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$work/cp.txt"
jars=()
for j in $(tr ':' '\n' < "$work/cp.txt"); do
  case "$j" in
    */dev/tangent/*|*/bytedeco/*) jars+=("$j") ;;             # the application's: passed with --jars
    */junit/*|*/opentest4j/*|*/apiguardian/*) ;;
    *) ln -s "$j" "$work/spark-home/jars/" ;;                  # Spark's own (its distribution's jars/)
  esac
done
(cd java/target/classes && "$JAVA_HOME/bin/jar" cf "$root/$work/app/tangent.jar" .)
(cd bindings/target/classes && "$JAVA_HOME/bin/jar" cf "$root/$work/app/tangent-bindings.jar" .)
(cd spark/target/classes && "$JAVA_HOME/bin/jar" cf "$root/$work/app/tangent-spark_2.13.jar" .)
(cd spark/target/test-classes && "$JAVA_HOME/bin/jar" cf "$root/$work/app/example.jar" dev/tangent/spark/SubmitExample*.class)
dnnl=$(tr ':' '\n' < "$work/cp.txt" | grep 'bytedeco/dnnl/.*linux-x86_64.jar')
# (bin/load-spark-env.sh sets SPARK_SCALA_VERSION in a real distribution)
export SPARK_HOME="$PWD/$work/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
app="$PWD/$work/app"
args=(--master "local-cluster[2,1,1024]" --class dev.tangent.spark.SubmitExample
  --jars "$app/tangent-spark_2.13.jar,$app/tangent.jar,$app/tangent-bindings.jar,$dnnl"
  --conf "spark.executor.extraJavaOptions=-Dtangent.cache.dir=$PWD/$work/tangent-cache/{{EXECUTOR_ID}}"
  --conf spark.ui.enabled=false
  "$app/example.jar")
echo "+ spark-submit ${args[*]}"
# bin/spark-class's loop: the launcher prints messages line by line, an empty marker, then the command
# NUL-separated, then (from the printf) its exit code
cmd=()
delim=$'\n'
started=false
while IFS= read -d "$delim" -r a; do
  if [ "$started" = true ]; then cmd+=("$a")
  elif [ -z "$a" ]; then delim=''; started=true
  else echo "$a"
  fi
done < <(set +e; "$JAVA_HOME/bin/java" -Xmx128m -cp "$SPARK_HOME/jars/*" \
    org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit "${args[@]}"; printf '%d\0' $?)
code=${cmd[${#cmd[@]}-1]}; unset 'cmd[${#cmd[@]}-1]'
[ "$code" = 0 ] || { echo "launcher failed ($code)" >&2; exit 1; }
printf '%s\n' "${cmd[@]}" | grep -E -e '--enable-native-access|--add-opens=java.base/java.nio=' | sed 's/^/driver flag: /'
"${cmd[@]}" 2> "$work/driver.log" | grep '^\[submit-example\]'
grep -h 'Tangent on executor' "$SPARK_HOME"/work/*/*/stderr | sed 's/^.*INFO /executor log: /'
