#!/usr/bin/env bash
# bench/run-reputation.sh - reputation-service: its ingest rate against a plain Kafka consumer on
# the same pre-filled topic, REST latency while it ingests and when idle, and what a tracked
# client costs in its heap and in the grid. One run, loopback only; about 3-6 minutes with the
# defaults, never more than TIME_LIMIT.
#
#   bench/run-reputation.sh [EVENTS [IPS]]     defaults 1000000 100000
#
# Starts nothing itself but the bench JVM (dev.portcullis.bench.ReputationBench), which runs a
# Kafka broker (child JVM), a 2-node Infinispan grid (inside the bench JVM) and the service
# (child JVM, from a copy of reputation-service/target/quarkus-app taken at the start).
# Environment: BENCH_JAVA_OPTS (-Xmx1g: the bench JVM holds the grid), REPUTATION_JAVA_OPTS
# (-Xmx512m -XX:MetaspaceSize=96m, as bin/portcullis), KAFKA_JAVA_OPTS (-Xms128m -Xmx768m -XX:+UseSerialGC, as
# bin/portcullis), MAIN_CF (bench/main-reputation.cf; "none" = Postfix defaults), HTTP_PORT
# (28091), REST_RATE (200 requests/s), IDLE_SECONDS (15), INGEST_TIMEOUT (600 s), JFR (1 = record
# a JFR profile of the service and summarise the ingest interval), TIME_LIMIT (1800 s for the
# whole run), BENCH_ARGS (more --name=value options, see ReputationBench's Javadoc).
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

EVENTS=${1:-1000000}
IPS=${2:-100000}
HTTP_PORT=${HTTP_PORT:-28091}
REST_RATE=${REST_RATE:-200}
IDLE_SECONDS=${IDLE_SECONDS:-15}
INGEST_TIMEOUT=${INGEST_TIMEOUT:-600}
TIME_LIMIT=${TIME_LIMIT:-1800}
for v in EVENTS IPS HTTP_PORT REST_RATE IDLE_SECONDS INGEST_TIMEOUT TIME_LIMIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"
done
[[ $EVENTS -ge 1000 && $EVENTS -le 20000000 && $IPS -ge 1 && $IPS -le 5000000 ]] \
  || die "EVENTS 1000..20000000, IPS 1..5000000"
[[ $TIME_LIMIT -le 7200 ]] || die "TIME_LIMIT at most 7200 s"
MAIN_CF=${MAIN_CF:-$BENCH/main-reputation.cf}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--Xmx1g}
REPUTATION_JAVA_OPTS=${REPUTATION_JAVA_OPTS:--Xmx512m -XX:MetaspaceSize=96m}
KAFKA_JAVA_OPTS=${KAFKA_JAVA_OPTS:--Xms128m -Xmx768m -XX:+UseSerialGC}
APP=$ROOT/reputation-service/target/quarkus-app
JCMD=${JAVA_HOME:+$JAVA_HOME/bin/}jcmd

command -v "$JAVA" >/dev/null 2>&1 || die "$JAVA not found"
command -v "$JCMD" >/dev/null 2>&1 || die "jcmd not found (it comes with the JDK)"
command -v ss >/dev/null 2>&1 || die "ss not found"
[[ -f $APP/quarkus-run.jar ]] \
  || die "$APP/quarkus-run.jar missing: ./mvnw -B -q -pl reputation-service -am install -DskipTests"
[[ -s $BENCH/target/classpath.txt && -d $BENCH/target/classes/dev/portcullis/bench ]] \
  || die "bench classes or bench/target/classpath.txt missing: ./mvnw -B -q -pl bench -am install -DskipTests"
[[ $MAIN_CF == none || -f $MAIN_CF ]] || die "MAIN_CF: no such file: $MAIN_CF"
port_free "$HTTP_PORT" || die "port $HTTP_PORT is in use (set HTTP_PORT)"
if pgrep -f surefire >/dev/null 2>&1; then
  say "warning: a test suite is running (pgrep -f surefire): the figures will be low and noisy"
fi

bench_init reputation
# Our own EXIT trap (replacing bench_init's): stop the bench JVM, whose shutdown hooks stop the
# service and the broker; then anything it left behind, by the pids it wrote in the run directory
# and only if that pid is still the process we started.
BENCH_PID=
# shellcheck disable=SC2317 # called from the EXIT trap
stop_pid() {
  local pid=$1 what=$2
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  say "$what (pid $pid) did not stop in 40 s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317 # the EXIT trap
reputation_cleanup() {
  local rc=$? f pid
  stop_pid "$BENCH_PID" "the bench JVM"
  for f in service:quarkus-run.jar kafka:KafkaBrokerMain; do
    pid=$(cat "$RUN/${f%%:*}.pid" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || continue
    grep -qa "${f#*:}" "/proc/$pid/cmdline" 2>/dev/null || continue
    stop_pid "$pid" "${f%%:*}"
  done
  exit "$rc"
}
trap reputation_cleanup EXIT

# The service runs from a copy, so a rebuild while the bench runs cannot change it under us.
cp -a "$APP" "$RUN/quarkus-app"
cf_arg=()
[[ $MAIN_CF == none ]] || { cp "$MAIN_CF" "$RUN/main.cf"; cf_arg=(--main-cf="$RUN/main.cf"); }
command_line="bench/run-reputation.sh $EVENTS $IPS"
# shellcheck disable=SC2206 # option lists
cmd=("$JAVA" $BENCH_JAVA_OPTS -cp "$BENCH/target/classes:$(cat "$BENCH/target/classpath.txt")"
  dev.portcullis.bench.ReputationBench
  --service-jar="$RUN/quarkus-app/quarkus-run.jar" --run-dir="$RUN"
  --events="$EVENTS" --ips="$IPS" --http-port="$HTTP_PORT" --rest-rate="$REST_RATE"
  --idle-seconds="$IDLE_SECONDS" --ingest-timeout="$INGEST_TIMEOUT"
  --service-java-opts="$REPUTATION_JAVA_OPTS" --kafka-java-opts="$KAFKA_JAVA_OPTS"
  --jfr="$([[ ${JFR:-0} == 1 ]] && echo true || echo false)" --command="$command_line"
  "${cf_arg[@]}" ${BENCH_ARGS:-})
say "bench JVM: $BENCH_JAVA_OPTS, service: $REPUTATION_JAVA_OPTS, main.cf: ${MAIN_CF#"$ROOT"/}"
timeout -k 30 "$TIME_LIMIT" "${cmd[@]}" >"$RUN/results.md" 2> >(tee "$RUN/bench.err" >&2) &
BENCH_PID=$!
rc=0
wait "$BENCH_PID" || rc=$?
BENCH_PID=
# shellcheck disable=SC2317 # called from the EXIT trap
[[ $rc -eq 124 ]] && say "the run took longer than TIME_LIMIT ($TIME_LIMIT s) and was stopped"

# Errors in the service's log, for the report.
{
  for log in "$RUN/service.log" "$RUN/service-baseline.log"; do
    [[ -f $log ]] || continue
    errors=$(grep -c ' ERROR ' "$log" || true)
    exceptions=$(grep -cE '(Exception|Error)(:|$)' "$log" || true)
    printf '\nService log (%s): %s ERROR lines, %s exception lines.\n' "${log#"$ROOT"/}" "$errors" "$exceptions"
    if [[ $errors -gt 0 || $exceptions -gt 0 ]]; then
      printf '\n```\n'
      grep -E ' ERROR |(Exception|Error)(:|$)' "$log" | cut -c1-240 | sort | uniq -c | sort -rn | head -10
      printf '```\n'
    fi
  done
} >>"$RUN/results.md"
rm -rf "$RUN/quarkus-app"
cat "$RUN/results.md"
say "results in ${RUN#"$ROOT"/}/results.md"
exit "$rc"
