#!/usr/bin/env bash
# Builds and runs the DJL consumer example as a DJL user's project would, against the
# dev.tangent:tangent-djl the reactor just installed (./tangent test runs this after `mvn install`).
# Extra arguments go to Maven (e.g. -o, -Dmaven.repo.local=...). Fails when a test-only dependency
# (JUnit, ArchUnit, DJL's PyTorch engine or model zoo) reaches the project, when tangent, DJL's api or
# oneDNN's native jar does not, when the run prints a wrong value, or when the JVM warns about native access.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(grep -m1 -o '<version>[^<]*</version>' "$root/pom.xml" | sed 's/<[^>]*>//g')
MVN=(mvn -B -ntp -Dstyle.color=never -f "$here/pom.xml" "-Dtangent.version=$version" "$@")
tree="$here/target/dependency-tree.txt"
log="$here/target/consumer.log"

echo "djl consumer: dev.tangent:tangent-djl:$version, dependency tree"
rm -rf "$here/target" && mkdir -p "$here/target"
if ! "${MVN[@]}" -q dependency:tree "-DoutputFile=$tree" >"$log" 2>&1; then
  cat "$log" >&2; echo "djl consumer: dependency:tree failed" >&2; exit 1
fi
cat "$tree"
if grep -Ei 'junit|archunit|opentest4j|apiguardian|pytorch|model-zoo' "$tree"; then
  echo "djl consumer: FAILED: a test-only dependency reaches a user's project (above)" >&2; exit 1
fi
for want in 'dev.tangent:tangent-djl:jar:' 'dev.tangent:tangent:jar:' 'ai.djl:api:jar:' 'org.bytedeco:dnnl:jar:linux-x86_64:'; do
  if ! grep -q -- "$want" "$tree"; then
    echo "djl consumer: FAILED: $want is not in the project's dependencies" >&2; exit 1
  fi
done

echo "djl consumer: mvn verify (runs on the class path)"
status=0
"${MVN[@]}" verify >"$log" 2>&1 || status=$?
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\[' | grep -v '^$' || true
if [ "$status" -ne 0 ]; then
  cat "$log" >&2; echo "djl consumer: FAILED: mvn verify exited with $status" >&2; exit 1
fi
if grep -qi 'restricted method\|enable-native-access' "$log"; then
  echo "djl consumer: FAILED: the JVM warned about native access (above)" >&2; exit 1
fi
if ! grep -q "djl consumer: all checks passed on the class path" "$log"; then
  cat "$log" >&2; echo "djl consumer: FAILED: no passing run" >&2; exit 1
fi
echo "djl consumer: OK"
