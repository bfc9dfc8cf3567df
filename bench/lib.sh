# bench/lib.sh - shared by run-held.sh and run-throughput.sh (sourced, not run).
# Starts smtp-sink and the edge on loopback, waits for them, and stops them on EXIT.
# Everything a run writes goes to bench/target/run/NAME-TIMESTAMP/.

BENCH=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname -- "$BENCH")
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
EDGE_JAR=$ROOT/smtp-edge/target/quarkus-app/quarkus-run.jar
EDGE_JAVA_OPTS=${EDGE_JAVA_OPTS:--Xmx1g}
PIDS_TO_STOP=()

say() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

# bench_init NAME: run directory, file limit, cleanup trap.
bench_init() {
  RUN=$BENCH/target/run/$1-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$RUN"
  # The hard limit here is 20,000 open files and cannot be raised; take all of it.
  ulimit -n "$(ulimit -Hn)" || die "cannot raise ulimit -n"
  say "run directory $RUN, open files limit $(ulimit -n)"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local rc=$? pid i
  # Stop in reverse start order, each by its own pid: TERM, then KILL after 20 s.
  for ((i = ${#PIDS_TO_STOP[@]} - 1; i >= 0; i--)); do
    pid=${PIDS_TO_STOP[i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { say "pid $pid did not stop, killing it"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  [[ -n ${SINK_DIR:-} ]] && rmdir "$SINK_DIR" 2>/dev/null
  exit "$rc"
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

require_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install postfix curl)"; done
  [[ -f $EDGE_JAR ]] || die "$EDGE_JAR missing: build first (./mvnw -B -q install -DskipTests)"
}

# start_sink PORT: Postfix's smtp-sink as the edge's next hop, in a directory nobody can write.
start_sink() {
  SINK_PORT=$1
  port_free "$SINK_PORT" || die "port $SINK_PORT is in use (set SINK_PORT)"
  SINK_DIR=$(mktemp -d /tmp/portcullis-sink.XXXXXX)
  chmod 0755 "$SINK_DIR"
  local user=()
  [[ $(id -u) -eq 0 ]] && user=(-u nobody)
  (cd "$SINK_DIR" && exec smtp-sink "${user[@]}" -m 1024 "127.0.0.1:$SINK_PORT" 1024) \
    >"$RUN/sink.log" 2>&1 &
  SINK_PID=$!
  PIDS_TO_STOP+=("$SINK_PID")
  for _ in $(seq 1 50); do
    ss -Hltn "sport = :$SINK_PORT" | grep -q . && { say "smtp-sink pid $SINK_PID on 127.0.0.1:$SINK_PORT"; return; }
    kill -0 "$SINK_PID" 2>/dev/null || die "smtp-sink exited: $(cat "$RUN/sink.log")"
    sleep 0.1
  done
  die "smtp-sink not listening on $SINK_PORT"
}

# start_edge MAIN_CF SMTP_PORT HTTP_PORT NEXT_HOP_PORT: the edge jar, no Kafka broker
# (127.0.0.1:1 refuses at once: the edge runs degraded, dropping and counting its events).
start_edge() {
  local cf=$1
  EDGE_SMTP_PORT=$2 EDGE_HTTP_PORT=$3
  port_free "$EDGE_SMTP_PORT" || die "port $EDGE_SMTP_PORT is in use (set EDGE_SMTP_PORT)"
  port_free "$EDGE_HTTP_PORT" || die "port $EDGE_HTTP_PORT is in use (set EDGE_HTTP_PORT)"
  cp "$cf" "$RUN/main.cf"
  # shellcheck disable=SC2086 # EDGE_JAVA_OPTS is a list of JVM options
  PORTCULLIS_MAIN_CF=$RUN/main.cf \
  POSTFIX_MAILLOG_FILE=$RUN/maillog \
  PORTCULLIS_SMTP_PORT=$EDGE_SMTP_PORT \
  PORTCULLIS_NEXT_HOPS=127.0.0.1:$4 \
  PORTCULLIS_EDGE_ID=bench-edge \
  QUARKUS_HTTP_PORT=$EDGE_HTTP_PORT \
  QUARKUS_HTTP_HOST=127.0.0.1 \
  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 \
    "$JAVA" $EDGE_JAVA_OPTS -jar "$EDGE_JAR" >"$RUN/edge.log" 2>&1 &
  EDGE_PID=$!
  PIDS_TO_STOP+=("$EDGE_PID")
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$EDGE_HTTP_PORT/q/health/ready" 2>/dev/null; then
      say "edge pid $EDGE_PID on 127.0.0.1:$EDGE_SMTP_PORT (http $EDGE_HTTP_PORT), $EDGE_JAVA_OPTS"
      return
    fi
    kill -0 "$EDGE_PID" 2>/dev/null || { tail -30 "$RUN/edge.log" >&2; die "edge exited during start"; }
    sleep 0.5
  done
  tail -30 "$RUN/edge.log" >&2
  die "edge not ready within 60 s"
}

# stop_edge: SIGTERM, and how long the edge takes to stop (EDGE_STOP_SECONDS). After 45 s
# its threads are dumped to edge-threads.txt and it is killed (EDGE_STOP_SECONDS=killed).
stop_edge() {
  local t0 t1
  kill -0 "$EDGE_PID" 2>/dev/null || { EDGE_STOP_SECONDS="already gone"; return; }
  t0=$(date +%s.%N)
  kill -TERM "$EDGE_PID"
  for _ in $(seq 1 450); do kill -0 "$EDGE_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$EDGE_PID" 2>/dev/null; then
    command -v jcmd >/dev/null && timeout 20 jcmd "$EDGE_PID" Thread.print >"$RUN/edge-threads.txt" 2>&1
    kill -KILL "$EDGE_PID" 2>/dev/null || true
    EDGE_STOP_SECONDS="killed after 45 s (threads in ${RUN#"$ROOT"/}/edge-threads.txt)"
    return
  fi
  t1=$(date +%s.%N)
  EDGE_STOP_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')
}

# metric NAME: one unlabelled value from the edge's Prometheus endpoint.
metric() {
  curl -fsS --max-time 10 "http://127.0.0.1:$EDGE_HTTP_PORT/q/metrics" \
    | awk -v n="$1" '$1 == n || $1 == n"{}" { print $2; f = 1 } END { if (!f) print "nan" }'
}

# cpu_seconds PID: user + system CPU time of a process so far.
cpu_seconds() { awk '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / 100 }' "/proc/$1/stat"; }

# edge_log_check: exceptions and errors in the edge's log, for the report.
edge_log_check() {
  local log=$RUN/edge.log
  local errors exceptions
  errors=$(grep -c ' ERROR ' "$log" || true)
  exceptions=$(grep -cE '(Exception|Error)(:|$)' "$log" || true)
  printf '\nEdge log (%s): %s ERROR lines, %s exception lines.\n' "${log#"$ROOT"/}" "$errors" "$exceptions"
  if [[ $errors -gt 0 || $exceptions -gt 0 ]]; then
    printf '\n```\n'
    grep -E ' ERROR |(Exception|Error)(:|$)' "$log" | cut -c1-240 | sort | uniq -c | sort -rn | head -10
    printf '```\n'
  fi
}
