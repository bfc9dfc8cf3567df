#!/usr/bin/env bash
# bench/run-throughput.sh - clean-message throughput: smtp-source straight to smtp-sink,
# then the same load through the edge (a before-queue proxy to that sink), in one run.
# Loopback only; about 1-2 minutes.
#
#   bench/run-throughput.sh [MESSAGES [SESSIONS [BYTES]]]     defaults 20000 20 2000
#
# Environment: EDGE_JAVA_OPTS (-Xmx1g), SINK_PORT (25262), EDGE_SMTP_PORT (25252),
# EDGE_HTTP_PORT (28082), WARMUP (2000 messages through the edge first, not counted),
# SOURCE_FLAGS (extra smtp-source flags for both runs, e.g. -d to keep connections).
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

MESSAGES=${1:-20000}
SESSIONS=${2:-20}
BYTES=${3:-2000}
WARMUP=${WARMUP:-2000}
for v in MESSAGES SESSIONS BYTES WARMUP; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"
done
[[ $MESSAGES -ge 1 && $MESSAGES -le 100000 && $SESSIONS -ge 1 && $SESSIONS -le 500 ]] \
  || die "MESSAGES 1..100000, SESSIONS 1..500"

bench_init throughput
require_tools smtp-sink smtp-source curl ss "$JAVA"
start_sink "${SINK_PORT:-25262}"
start_edge "$BENCH/main-throughput.cf" "${EDGE_SMTP_PORT:-25252}" "${EDGE_HTTP_PORT:-28082}" "$SINK_PORT"

# shellcheck disable=SC2206 # a flag list
source_cmd=(smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$BYTES" ${SOURCE_FLAGS:-} -f a@example.org -t user@example.com)

# timed PORT LABEL: runs smtp-source against 127.0.0.1:PORT, prints elapsed seconds.
timed() {
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  timeout 120 "${source_cmd[@]}" "127.0.0.1:$1" >"$RUN/source-$2.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  [[ $rc -eq 0 ]] || { cat "$RUN/source-$2.log" >&2; die "smtp-source ($2) exit status $rc (124 = timed out)"; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

if [[ $WARMUP -gt 0 ]]; then
  say "warm-up: $WARMUP messages through the edge (not counted)"
  timeout 120 smtp-source -s "$SESSIONS" -m "$WARMUP" -l "$BYTES" ${SOURCE_FLAGS:-} -f a@example.org \
    -t user@example.com "127.0.0.1:$EDGE_SMTP_PORT" >"$RUN/source-warmup.log" 2>&1 \
    || { cat "$RUN/source-warmup.log" >&2; die "warm-up through the edge failed"; }
fi

say "direct: ${source_cmd[*]} 127.0.0.1:$SINK_PORT"
direct=$(timed "$SINK_PORT" direct)
accepted0=$(metric portcullis_edge_messages_accepted_total)
cpu0=$(cpu_seconds "$EDGE_PID")
say "through the edge: ${source_cmd[*]} 127.0.0.1:$EDGE_SMTP_PORT"
edge=$(timed "$EDGE_SMTP_PORT" edge)
cpu1=$(cpu_seconds "$EDGE_PID")
accepted1=$(metric portcullis_edge_messages_accepted_total)
rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$EDGE_PID/status")
accepted=$(awk -v a="$accepted0" -v b="$accepted1" 'BEGIN { printf "%d", b - a }')
stop_edge

rc=0
[[ $accepted -eq $MESSAGES ]] || rc=1
{
  printf '## Throughput, %s\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'Host: %s cores, %s; edge `%s` with `bench/main-throughput.cf`, next hop `smtp-sink -m 1024 127.0.0.1:%s 1024`, '\
'no Kafka broker (events dropped and counted). Warm-up: %s messages through the edge, not counted.\n\n' \
    "$(nproc)" "$("$JAVA" -version 2>&1 | head -1)" "$EDGE_JAVA_OPTS" "$SINK_PORT" "$WARMUP"
  printf 'Command: `bench/run-throughput.sh %s %s %s` → `%s 127.0.0.1:PORT`\n\n' "$MESSAGES" "$SESSIONS" "$BYTES" "${source_cmd[*]}"
  printf '| path | messages | seconds | msgs/s |\n|---|---:|---:|---:|\n'
  awk -v m="$MESSAGES" -v d="$direct" -v e="$edge" 'BEGIN {
    printf "| smtp-source → smtp-sink | %d | %.2f | %.0f |\n", m, d, m / d
    printf "| smtp-source → edge → smtp-sink | %d | %.2f | %.0f |\n", m, e, m / e
    printf "\nRatio edge/direct: **%.2f** (%.1f%% of direct)\n", d / e, 100 * d / e }'
  awk -v c0="$cpu0" -v c1="$cpu1" -v e="$edge" -v r="$rss" -v a="$accepted" -v m="$MESSAGES" 'BEGIN {
    printf "\nEdge during its run: CPU %.0f%% of one core, RSS %s MiB, portcullis_edge_messages_accepted_total +%d (expected %d).\n",
      100 * (c1 - c0) / e, r, a, m }'
  printf '\nEdge stop after SIGTERM: %s.\n' "$EDGE_STOP_SECONDS"
  edge_log_check
  [[ $rc -eq 0 ]] || printf '\n**FAILED:** the edge accepted %s messages, smtp-source sent %s.\n' "$accepted" "$MESSAGES"
} | tee "$RUN/results.md"
say "results in ${RUN#"$ROOT"/}/results.md"
exit "$rc"
