#!/usr/bin/env bash
# bench/run-held.sh - hold many tarpitted sessions on one edge, measure their cost and what
# a clean sender sees meanwhile (HeldSessionsBench). Loopback only; about 2-3 minutes.
#
#   bench/run-held.sh [SESSIONS [LEGIT_SECONDS]]     defaults 15000 and 60
#
# Environment: EDGE_JAVA_OPTS (-Xmx1g), BENCH_JAVA_OPTS (-Xmx512m), SINK_PORT (25261),
# EDGE_SMTP_PORT (25251), EDGE_HTTP_PORT (28081), BENCH_ARGS (more --name=value options).
# Needs: a built tree (./mvnw -B -q install -DskipTests), smtp-sink, curl, jcmd (optional).
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

SESSIONS=${1:-15000}
LEGIT_SECONDS=${2:-60}
[[ $SESSIONS =~ ^[0-9]+$ && $SESSIONS -ge 1 && $SESSIONS -le 19000 ]] \
  || die "SESSIONS must be 1..19000 (20,000 open files per process here)"
[[ $LEGIT_SECONDS =~ ^[0-9]+$ && $LEGIT_SECONDS -ge 1 && $LEGIT_SECONDS -le 150 ]] \
  || die "LEGIT_SECONDS must be 1..150 (the run must end within ~5 minutes)"

bench_init held
require_tools smtp-sink curl ss "$JAVA"
[[ -d $BENCH/target/classes/dev/portcullis/bench ]] || die "bench classes missing: build first"
start_sink "${SINK_PORT:-25261}"
start_edge "$BENCH/main-held.cf" "${EDGE_SMTP_PORT:-25251}" "${EDGE_HTTP_PORT:-28081}" "$SINK_PORT"

# shellcheck disable=SC2206 # option lists
cmd=("$JAVA" ${BENCH_JAVA_OPTS:--Xmx512m} -cp "${BENCH#"$ROOT"/}/target/classes"
     dev.portcullis.bench.HeldSessionsBench
     --port="$EDGE_SMTP_PORT" --http-port="$EDGE_HTTP_PORT" --edge-pid="$EDGE_PID"
     --sessions="$SESSIONS" --legit-seconds="$LEGIT_SECONDS" --sleep-time=5 --out-dir="$RUN" ${BENCH_ARGS:-})
say "running: ${cmd[*]}"
rc=0
(cd "$ROOT" && timeout 270 "${cmd[@]}") >"$RUN/report.md" 2> >(tee "$RUN/bench.err" >&2) || rc=$?
stop_edge

{
  printf '## HeldSessionsBench, %s\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'Host: %s cores, %s; edge `%s -jar smtp-edge/target/quarkus-app/quarkus-run.jar` with `bench/main-held.cf` '\
'(soft limit 1, sleep 5 s, hard limit 1,000,000), next hop smtp-sink, no Kafka broker.\n\n' \
    "$(nproc)" "$("$JAVA" -version 2>&1 | head -1)" "$EDGE_JAVA_OPTS"
  printf 'Command: `bench/run-held.sh %s %s` → `%s`\n\n' "$SESSIONS" "$LEGIT_SECONDS" "${cmd[*]}"
  cat "$RUN/report.md"
  printf '\nEdge stop after SIGTERM: %s.\n' "$EDGE_STOP_SECONDS"
  edge_log_check
  [[ $rc -eq 0 ]] || printf '\n**Exit status %s** (124 = timed out).\n' "$rc"
} | tee "$RUN/results.md"
say "results in ${RUN#"$ROOT"/}/results.md"
exit "$rc"
