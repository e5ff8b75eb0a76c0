#!/usr/bin/env bash
# Builds and runs the consumer example as a user's project would, against the dev.tangent:tangent the
# reactor just installed (./tangent test runs this after `mvn install`). Extra arguments go to Maven
# (e.g. -o, -Dmaven.repo.local=...). Fails when:
#   - a test-only dependency of Tangent (JUnit, ArchUnit, jqwik, opentest4j) reaches the consumer,
#     or oneDNN's native jar does not (dependency:tree);
#   - either run (class path, module path) prints a wrong value, lacks oneDNN, or the JVM warns
#     about native access (a missing --enable-native-access).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(grep -m1 -o '<version>[^<]*</version>' "$root/pom.xml" | sed 's/<[^>]*>//g')
MVN=(mvn -B -ntp -Dstyle.color=never -f "$here/pom.xml" "-Dtangent.version=$version" "$@")
tree="$here/target/dependency-tree.txt"
log="$here/target/consumer.log"

echo "consumer: dev.tangent:tangent:$version, dependency tree"
rm -rf "$here/target" && mkdir -p "$here/target"
if ! "${MVN[@]}" -q dependency:tree "-DoutputFile=$tree" >"$log" 2>&1; then
  cat "$log" >&2; echo "consumer: dependency:tree failed" >&2; exit 1
fi
cat "$tree"
if grep -Ei 'junit|archunit|jqwik|opentest4j|apiguardian' "$tree"; then
  echo "consumer: FAILED: a test-only dependency of Tangent reaches a user's project (above)" >&2; exit 1
fi
for want in 'dev.tangent:tangent:jar:' 'dev.tangent:tangent-bindings:jar:' 'org.bytedeco:dnnl:jar:linux-x86_64:'; do
  if ! grep -q -- "$want" "$tree"; then
    echo "consumer: FAILED: $want is not in the consumer's dependencies" >&2; exit 1
  fi
done

echo "consumer: mvn verify (runs on the class path, then on the module path)"
status=0
"${MVN[@]}" verify >"$log" 2>&1 || status=$?
# what the two runs printed (Maven's own lines start with '[')
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\[' | grep -v '^$' || true
if [ "$status" -ne 0 ]; then
  cat "$log" >&2; echo "consumer: FAILED: mvn verify exited with $status" >&2; exit 1
fi
if grep -qi 'restricted method\|enable-native-access' "$log"; then
  echo "consumer: FAILED: the JVM warned about native access (above)" >&2; exit 1
fi
for path in "class path" "module path"; do
  if ! grep -q "consumer: all checks passed on the $path" "$log"; then
    cat "$log" >&2; echo "consumer: FAILED: no passing run on the $path" >&2; exit 1
  fi
done
echo "consumer: OK (class path and module path)"
