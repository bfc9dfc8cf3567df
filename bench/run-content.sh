#!/usr/bin/env bash
# bench/run-content.sh - the content-filter's whole-message inspection (mime4j + header/body checks)
# with postfix-compat's regexp tables against a java.util.regex loop over the rules, for 10, 100,
# 1,000 and 10,000 rules. In-process, no network; about two minutes.
#
#   bench/run-content.sh [SECONDS]     seconds per measurement, default 2
#
# Environment: BENCH_JAVA_OPTS (-Xmx1g). Build first: ./mvnw -B -q install -DskipTests -pl bench -am
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
SECONDS_PER=${1:-2}
[[ $SECONDS_PER =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "run-content.sh: SECONDS must be a number" >&2; exit 2; }
[ -f bench/target/classpath.txt ] || { echo "run-content.sh: build first: ./mvnw -B -q install -DskipTests -pl bench -am" >&2; exit 1; }
if pgrep -f surefire >/dev/null 2>&1; then
  echo "run-content.sh: WARNING: a test suite is running; figures will be low" >&2
fi
read -r -a opts <<< "${BENCH_JAVA_OPTS:--Xmx1g}"
exec timeout 600 java "${opts[@]}" -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.portcullis.bench.ContentFilterBench "$SECONDS_PER"
