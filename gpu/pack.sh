#!/usr/bin/env bash
# Builds, on this (JDK) machine, everything gpu/run.sh needs on a GPU host that has no JDK and no
# network, into the git-ignored folder .gpu/ (limit 64 MiB):
#   jre.tgz             jlink'd runtime (as ../shared/device/make-jre.sh, plus java.logging for JUnit)
#   tangent-bindings.jar, tangent.jar   the library (the CUDA kernels' fatbin inside tangent.jar)
#   test-classes/       the CUDA backend's JUnit tests
#   junit-console.jar   JUnit's console launcher (junit-platform-console-standalone, pinned)
#   bench/              gpu/bench/*.java compiled (CudaBench, GpuServing)
# Usage: bash gpu/pack.sh   (from anywhere; builds the working tree with Maven)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
JUNIT_CONSOLE_VERSION=1.14.1
LIMIT=$((64 * 1024 * 1024))
out=.gpu

find_jdk() {
  local j v
  for j in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$j" ] && [ -x "$j/bin/javac" ] || continue
    v=$("$j/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 22 ] 2>/dev/null; then echo "$j"; return 0; fi
  done
  return 1
}
JAVA_HOME=$(find_jdk) || { echo "pack: no JDK >= 22 found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

echo "pack: building bindings and java with Maven (kernels via cmake/nvcc when present)"
mvn -B -ntp -q -pl bindings,java package -DskipTests

jar_of() { ls "$1"/target/"$2"-*.jar 2>/dev/null | grep -v -e sources -e javadoc -e tests | head -1; }
bjar=$(jar_of bindings tangent-bindings)
tjar=$(jar_of java tangent)
[ -n "$bjar" ] && [ -n "$tjar" ] || { echo "pack: jars not found after the build" >&2; exit 1; }
if ! unzip -l "$tjar" | grep -q 'dev/tangent/cuda/tangent_kernels.fatbin'; then
  echo "pack: $tjar has no CUDA kernels (nvcc missing at build time?): the GPU run would skip everything" >&2
  exit 1
fi

rm -rf "$out.tmp"
mkdir -p "$out.tmp/test-classes/dev/tangent/backend" "$out.tmp/bench"
cp "$bjar" "$out.tmp/tangent-bindings.jar"
cp "$tjar" "$out.tmp/tangent.jar"
cp -r java/target/test-classes/dev/tangent/backend/cuda "$out.tmp/test-classes/dev/tangent/backend/"

echo "pack: JUnit console launcher $JUNIT_CONSOLE_VERSION"
mvn -B -ntp -q dependency:copy \
  -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_CONSOLE_VERSION \
  -DoutputDirectory="$out.tmp" -Dmdep.stripVersion=true
mv "$out.tmp/junit-platform-console-standalone.jar" "$out.tmp/junit-console.jar"

echo "pack: benchmark main"
javac --release 22 -d "$out.tmp/bench" -cp "$out.tmp/tangent-bindings.jar:$out.tmp/tangent.jar" gpu/bench/*.java

# The runtime: what ../shared/device/make-jre.sh makes (java.base + jdk.unsupported, same jlink
# flags) plus java.logging, which JUnit's console launcher needs (its LoggerFactory uses
# java.util.logging; without it the launcher dies with NoClassDefFoundError) and jdk.zipfs (it
# scans packages inside jars through the zip file system). ~30 s to jlink:
# reused while the JDK and this script are unchanged.
if [ -f "$out/jre.tgz" ] && [ "$out/jre.tgz" -nt "$JAVA_HOME/release" ] && [ "$out/jre.tgz" -nt "$0" ]; then
  cp "$out/jre.tgz" "$out.tmp/jre.tgz"
else
  echo "pack: jlink'd runtime"
  jtmp=$(mktemp -d)
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported,jdk.zipfs --strip-debug --no-man-pages \
    --no-header-files --compress=zip-9 --output "$jtmp/jre"
  tar czf "$out.tmp/jre.tgz" -C "$jtmp" jre
  rm -rf "$jtmp"
fi

size=$(du -sb "$out.tmp" | cut -f1)
if [ "$size" -gt "$LIMIT" ]; then
  echo "pack: $out is $size bytes, over the 64 MiB limit" >&2
  du -sh "$out.tmp"/* >&2
  exit 1
fi
rm -rf "$out"
mv "$out.tmp" "$out"
git rev-parse --short HEAD > "$out/COMMIT" 2>/dev/null || true
du -sh "$out"/* | sed 's/^/pack:   /'
echo "pack: $out ready ($((size / 1024 / 1024)) MiB of 64); on the GPU host: bash gpu/run.sh"
