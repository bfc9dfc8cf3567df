#!/usr/bin/env bash
# bench/run-decision-replay.sh - where an edge's start-up replay of portcullis.decisions spends
# its time, without the edge: the decode + table-insert path (dev.portcullis.bench.DecisionReplayBench)
# in fresh JVMs with testkit's child options and with the launcher's, then plain Kafka consumers
# reading the same records from a real broker (DecisionFetchBench). Loopback only; about 2-4 minutes.
#
#   bench/run-decision-replay.sh [RECORDS]       default 100000
#
# Environment: TESTKIT_JAVA_OPTS (-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MetaspaceSize=96m, as
# testkit's QuarkusApp), LAUNCHER_JAVA_OPTS (-Xmx512m -XX:MetaspaceSize=96m, as bin/portcullis edge_start), PASSES (4).
# The end-to-end figure is DecisionReplayIT's (e2e/target/decision-replay.txt; -Dreplay.jvm=...).
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=${1:-100000}
PASSES=${PASSES:-4}
[[ $RECORDS =~ ^[0-9]+$ && $RECORDS -ge 1000 && $RECORDS -le 5000000 ]] || die "RECORDS 1000..5000000"
[[ $PASSES =~ ^[0-9]+$ && $PASSES -ge 1 && $PASSES -le 20 ]] || die "PASSES 1..20"
TESTKIT_JAVA_OPTS=${TESTKIT_JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MetaspaceSize=96m}
LAUNCHER_JAVA_OPTS=${LAUNCHER_JAVA_OPTS:--Xmx512m -XX:MetaspaceSize=96m}
CP_FILE=$BENCH/target/classpath.txt
[[ -f $CP_FILE && -d $BENCH/target/classes ]] || die "build first: ./mvnw -B -q install -DskipTests"
CP=$BENCH/target/classes:$(cat "$CP_FILE")

say "load: $(uptime)"
for opts in "$TESTKIT_JAVA_OPTS" "$LAUNCHER_JAVA_OPTS"; do
  for stage in apply decode cidr insert retained; do
    # shellcheck disable=SC2086  # the options are words
    timeout 300 "$JAVA" $opts -Dstage="$stage" -cp "$CP" dev.portcullis.bench.DecisionReplayBench "$RECORDS" "$PASSES"
  done
done
timeout 600 "$JAVA" -Xmx512m -cp "$CP" dev.portcullis.bench.DecisionFetchBench "$RECORDS" 2>&1 \
  | grep -E '^(\(warm-up|[a-z]+ +max\.partition|[0-9]+ records)'
say "load: $(uptime)"
