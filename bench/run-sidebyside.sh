#!/usr/bin/env bash
# bench/run-sidebyside.sh - the same flood and the same legitimate sender against (a) a real
# Postfix with fail2ban on its log and (b) Portcullis (the launcher's stack plus a second edge),
# one after the other (SideBySideBench). Loopback only; about 7 minutes with the defaults,
# most of it the stack's start (longer on a busy host).
#
#   bench/run-sidebyside.sh [FLOOD_SECONDS [ATTACKERS]]     defaults 45 and 60
#
# (a) runs inside a network namespace this script creates (ip netns add portcullis-sbs-PID):
# Postfix (its own config, queue and maillog under the run directory, smtpd on 127.0.0.1:25
# of the namespace), smtp-sink as its relay, and fail2ban-server with the stock postfix
# filter and the stock nftables-multiport ban action. The action's table (inet f2b-table)
# lives in the namespace's own ruleset, so the host's firewall is never touched; deleting
# the namespace at the end removes it. The flood generator runs in the namespace too.
# (b) runs on the host's loopback: bin/portcullis up --detach (Kafka, Infinispan,
# reputation-service, ban-service with config/jails.conf, one edge; no content filter, no
# firewall agent) with its own run directory and ports, plus a second edge JVM on the same
# bus, both relaying to one smtp-sink.
# Both defences read bench/main-sidebyside.cf and bench/sidebyside-recipients.
#
# Environment: SBS_PORT_BASE (29300: Portcullis uses BASE..BASE+99 on 127.0.0.1),
# BENCH_JAVA_OPTS (-Xmx512m), BENCH_CLASSES (bench/target/classes), BENCH_ARGS (more SideBySideBench --name=value options),
# SKIP_POSTFIX=1 / SKIP_PORTCULLIS=1 (run one side only).
# Needs root (Postfix's master, ip netns, nft), postfix, smtp-sink, fail2ban, nftables,
# iproute2, curl, ss, and a built tree (./mvnw -B -q install -DskipTests).
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

FLOOD_SECONDS=${1:-45}
ATTACKERS=${2:-60}
[[ $FLOOD_SECONDS =~ ^[0-9]+$ && $FLOOD_SECONDS -ge 10 && $FLOOD_SECONDS -le 120 ]] \
  || die "FLOOD_SECONDS must be 10..120 (the run must stay within a few minutes)"
[[ $ATTACKERS =~ ^[0-9]+$ && $ATTACKERS -ge 1 && $ATTACKERS -le 250 ]] || die "ATTACKERS must be 1..250"
RAMP=$((FLOOD_SECONDS / 2))
BASE=${SBS_PORT_BASE:-29300}
NS=portcullis-sbs-$$
NS_CREATED=0
STACK_UP=0
FAILED=()
LAUNCHER_CACHE=$BENCH/target/sidebyside-launcher-cache
LAUNCHER_CACHED=(kafka.classpath infinispan.classpath)

[[ $(id -u) -eq 0 ]] || die "needs root (Postfix's master, ip netns, nft)"
for jar in smtp-edge reputation-service ban-service; do
  [[ -f $ROOT/$jar/target/quarkus-app/quarkus-run.jar ]] || die "$jar/target/quarkus-app missing: build first (./mvnw -B -q install -DskipTests)"
done
bench_init sidebyside
require_tools postfix postconf smtp-sink fail2ban-server fail2ban-client nft ip curl ss "$JAVA"
CLASSES=${BENCH_CLASSES:-$BENCH/target/classes}
[[ -f $CLASSES/dev/portcullis/bench/SideBySideBench.class ]] || die "bench classes missing in $CLASSES: build first"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# Our own cleanup first (netns, Postfix, fail2ban, the stack), then lib.sh's (pids it started).
sbs_cleanup() {
  local rc=$? p
  if ((NS_CREATED)); then
    [[ -S ${F2B_SOCK:-/nonexistent} ]] && timeout 20 ip netns exec "$NS" fail2ban-client -s "$F2B_SOCK" stop >/dev/null 2>&1
    [[ -f ${PF_DIR:-/nonexistent}/etc/main.cf ]] && timeout 30 ip netns exec "$NS" postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1
    # What is left in the namespace was started by this script (smtp-sink, a stray smtpd).
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
    ip netns exec "$NS" nft delete table inet f2b-table 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || say "could not delete network namespace $NS"
  fi
  if ((STACK_UP)); then
    PORTCULLIS_RUN_DIR=$STACK "$ROOT/bin/portcullis" down >>"$RUN/stack-down.log" 2>&1 || true
  fi
  trap - EXIT
  set +e             # (else the next line would end the script before lib.sh's cleanup)
  (exit "$rc")       # bench_cleanup takes the exit status from $?
  bench_cleanup
}
trap sbs_cleanup EXIT

# ------------------------------------------------------------------ measuring a process tree

# tree_pids ROOT...: the roots and every descendant (from the ppid field of /proc/*/stat).
tree_pids() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
    { pid = $1; line = $0; sub(/.*\) /, "", line); split(line, f, " "); pp[pid] = f[2] }
    END {
      do { more = 0; for (p in pp) if (!(p in want) && (pp[p] in want)) { want[p] = 1; more = 1 } } while (more)
      for (p in want) if (p in pp) print p
    }'
}

# sample_tree ROOT...: "cpu_ticks rss_kib pss_kib processes" summed over the tree. CPU is each
# process's utime+stime plus cutime+cstime (children it reaped: Postfix's master collects the
# smtpd processes that exited), so the difference of two samples is the tree's CPU between them.
sample_tree() {
  local p ticks=0 rss=0 pss=0 n=0 stat f k v
  for p in $(tree_pids "$@"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<< "${stat##*) }"
    ticks=$((ticks + f[11] + f[12] + f[13] + f[14]))
    while read -r k v _; do
      case $k in Rss:) rss=$((rss + v)) ;; Pss:) pss=$((pss + v)) ;; esac
    done 2>/dev/null < "/proc/$p/smaps_rollup" || true
    n=$((n + 1))
  done
  printf '%s %s %s %s\n' "$ticks" "$rss" "$pss" "$n"
}

# sampler FILE ROOT...: a sample every 0.5 s into FILE until FILE.stop appears (start it in
# the background and add its pid to PIDS_TO_STOP, so that an aborted run stops it too).
sampler() {
  local file=$1; shift
  : > "$file"
  while [[ ! -e $file.stop ]]; do
    printf '%s %s\n' "$(date +%s.%N)" "$(sample_tree "$@")" >> "$file"
    sleep 0.5
  done
  printf '%s %s\n' "$(date +%s.%N)" "$(sample_tree "$@")" >> "$file"
}

# summarize FILE PREFIX: key=value lines (CPU seconds over the sampled interval, peaks).
summarize() {
  awk -v pre="$2" -v hz="$(getconf CLK_TCK)" '
    NR == 1 { t0 = $1; c0 = $2 }
    { t1 = $1; c1 = $2; if ($3 > rss) rss = $3; if ($4 > pss) pss = $4; if ($5 > np) np = $5 }
    END {
      printf "%s_cpu_s=%.1f\n%s_interval_s=%.1f\n%s_peak_rss_mib=%.0f\n%s_peak_pss_mib=%.0f\n%s_peak_processes=%d\n",
        pre, (c1 - c0) / hz, pre, t1 - t0, pre, rss / 1024, pre, pss / 1024, pre, np
    }' "$1"
}

# run_generator OUT_PREFIX LABEL TARGETS [NETNS...]: SideBySideBench, its report to OUT_PREFIX.md.
run_generator() {
  local out=$1 label=$2 targets=$3; shift 3
  # shellcheck disable=SC2206 # option lists
  # On timeout: SIGQUIT first (the JVM prints its threads into the report), SIGKILL 15 s later.
  local cmd=("$@" timeout -s QUIT -k 15 $((FLOOD_SECONDS + 90)) "$JAVA" ${BENCH_JAVA_OPTS:--Xmx512m}
             -cp "$CLASSES" dev.portcullis.bench.SideBySideBench
             --label="$label" --targets="$targets" --attackers="127.0.30.1-$ATTACKERS"
             --legit-sources=127.0.31.1-10 --seconds="$FLOOD_SECONDS" --ramp="$RAMP"
             --out="$out.properties" ${BENCH_ARGS:-})
  say "running: ${cmd[*]}"
  GENERATOR_CMD="${cmd[*]}"
  local rc=0
  "${cmd[@]}" > "$out.md" 2> >(tee "$out.err" >&2) || rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '\n**%s: the generator exited with status %s** (124/137 = timed out; thread dump above).\n' "$label" "$rc" >> "$out.md"
    FAILED+=("$label generator exit $rc")
  fi
}

# ------------------------------------------------------------------ (a) Postfix + fail2ban

sbs_main_cf() { sed "s|@BENCH@|$BENCH|g" "$BENCH/main-sidebyside.cf"; }

postfix_side() {
  PF_DIR=$RUN/postfix
  local f2b=$RUN/fail2ban sink_port=2526 master_pid f2b_pid p
  mkdir -p "$PF_DIR/etc" "$PF_DIR/queue" "$PF_DIR/data" "$f2b"
  chmod 0755 "$RUN" "$PF_DIR"
  chown postfix "$PF_DIR/data"

  ip netns add "$NS"
  NS_CREATED=1
  ip -n "$NS" link set lo up
  say "network namespace $NS (its own loopback and its own nftables ruleset)"

  { sbs_main_cf
    cat <<EOF

# --- Postfix only (bench/run-sidebyside.sh): this instance's directories, no DNS, relay to smtp-sink
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
maillog_file_prefixes = $PF_DIR
maillog_file = $PF_DIR/maillog
myorigin = sidebyside.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_peername_lookup = no
relay_transport = smtp:[127.0.0.1]:$sink_port
default_transport = discard:
local_transport = discard:
alias_maps =
alias_database =
biff = no
EOF
  } > "$PF_DIR/etc/main.cf"
  cat > "$PF_DIR/etc/master.cf" <<'EOF'
# bench/run-sidebyside.sh: smtpd on port 25 of the bench's network namespace, no chroot
127.0.0.1:25 inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  postconf -c "$PF_DIR/etc" -n > "$PF_DIR/postconf-n.txt" 2>&1 || die "postconf rejects the config: $(cat "$PF_DIR/postconf-n.txt")"

  SINK_DIR=$(mktemp -d /tmp/portcullis-sink.XXXXXX)
  chmod 0755 "$SINK_DIR"
  (cd "$SINK_DIR" && exec ip netns exec "$NS" smtp-sink -u nobody -m 1024 "127.0.0.1:$sink_port" 1024) \
    > "$RUN/postfix-sink.log" 2>&1 &
  PIDS_TO_STOP+=("$!")

  ip netns exec "$NS" postfix -c "$PF_DIR/etc" start > "$PF_DIR/start.log" 2>&1 \
    || die "postfix start failed: $(cat "$PF_DIR/start.log")"
  for _ in $(seq 1 100); do
    ip netns exec "$NS" ss -Hltn 'sport = :25' | grep -q . && break
    sleep 0.1
  done
  ip netns exec "$NS" ss -Hltn 'sport = :25' | grep -q . || die "Postfix not listening on port 25 in $NS"
  master_pid=$(awk '{ print $1 }' "$PF_DIR/queue/pid/master.pid")
  say "Postfix master pid $master_pid on 127.0.0.1:25 in $NS, maillog ${PF_DIR#"$ROOT"/}/maillog"

  # fail2ban: the distribution's configuration, with the stock [postfix] jail enabled on our
  # maillog and the seeds' jail values (config/jails.conf: maxretry 3, findtime 10m, bantime 1d).
  cp -a /etc/fail2ban/. "$f2b/etc"
  rm -f "$f2b"/etc/jail.d/* "$f2b"/etc/*.local
  F2B_SOCK=$f2b/fail2ban.sock
  cat > "$f2b/etc/fail2ban.local" <<EOF
[Definition]
loglevel = INFO
logtarget = $f2b/fail2ban.log
socket = $F2B_SOCK
pidfile = $f2b/fail2ban.pid
dbfile = :memory:
EOF
  cat > "$f2b/etc/jail.local" <<EOF
# bench/run-sidebyside.sh: only the stock postfix jail (filter.d/postfix.conf, mode "more"),
# banning with the stock nftables-multiport action (table inet f2b-table, reject) inside $NS.
[DEFAULT]
banaction = nftables-multiport
banaction_allports = nftables-allports
ignoreself = false
ignoreip =
backend = polling

[postfix]
enabled  = true
port     = smtp,465,submission
logpath  = $PF_DIR/maillog
maxretry = 3
findtime = 10m
bantime  = 1d
EOF
  touch "$PF_DIR/maillog"
  ip netns exec "$NS" fail2ban-server -f -x -c "$f2b/etc" > "$f2b/server.out" 2>&1 &
  f2b_pid=$!
  PIDS_TO_STOP+=("$f2b_pid")
  for _ in $(seq 1 100); do
    ip netns exec "$NS" fail2ban-client -s "$F2B_SOCK" status postfix > "$f2b/status-before.txt" 2>&1 && break
    kill -0 "$f2b_pid" 2>/dev/null || die "fail2ban-server exited: $(tail -5 "$f2b/server.out")"
    sleep 0.2
  done
  grep -q 'File list:.*maillog' "$f2b/status-before.txt" || die "fail2ban's postfix jail did not start: $(cat "$f2b/status-before.txt")"
  say "fail2ban-server pid $f2b_pid, jail postfix on the maillog"

  sampler "$RUN/postfix-samples.txt" "$master_pid" "$f2b_pid" &
  local sampler_pid=$!
  PIDS_TO_STOP+=("$sampler_pid")
  PF_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  run_generator "$RUN/postfix" "Postfix + fail2ban" 127.0.0.1:25 ip netns exec "$NS"
  PF_GENERATOR_CMD=$GENERATOR_CMD
  PF_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
  # Sessions still open on smtpd from attacker addresses once the generator is gone: a ban
  # that rejects the client's packets also drops its FIN, so smtpd waits out smtpd_timeout.
  printf 'attacker_sessions_left=%s\n' "$(ip netns exec "$NS" ss -Htn state established '( sport = :25 )' \
    | grep -c ' 127\.0\.30\.' || true)" >> "$RUN/postfix.properties"
  touch "$RUN/postfix-samples.txt.stop"
  wait "$sampler_pid"
  summarize "$RUN/postfix-samples.txt" defence >> "$RUN/postfix.properties"

  ip netns exec "$NS" fail2ban-client -s "$F2B_SOCK" status postfix > "$f2b/status-after.txt" 2>&1 || true
  ip netns exec "$NS" nft list table inet f2b-table > "$f2b/nft-table.txt" 2>&1 || true
  {
    printf 'bans=%s\n' "$(awk -F'\t' '/Total banned:/ { print $2 }' "$f2b/status-after.txt" | tr -dc 0-9)"
    printf 'f2b_failed=%s\n' "$(awk -F'\t' '/Total failed:/ { print $2 }' "$f2b/status-after.txt" | tr -dc 0-9)"
    printf 'legit_banned=%s\n' "$(grep -c 'Ban 127\.0\.31\.' "$f2b/fail2ban.log" || true)"
    printf 'messages_relayed=%s\n' "$(grep -c 'status=sent' "$PF_DIR/maillog" || true)"
    printf 'load_start=%s\nload_end=%s\n' "$PF_LOAD_START" "$PF_LOAD_END"
  } >> "$RUN/postfix.properties"

  timeout 20 ip netns exec "$NS" fail2ban-client -s "$F2B_SOCK" stop > /dev/null 2>&1 || true
  timeout 30 ip netns exec "$NS" postfix -c "$PF_DIR/etc" stop > /dev/null 2>&1 || true
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do [[ -z $(ip netns pids "$NS" 2>/dev/null) ]] && break; sleep 0.2; done
  ip netns exec "$NS" nft delete table inet f2b-table 2>/dev/null || true
  ip netns del "$NS" && NS_CREATED=0
  rm -rf "$SINK_DIR"; SINK_DIR=
  say "Postfix side done; namespace $NS deleted"
}

# ------------------------------------------------------------------ (b) Portcullis

portcullis_side() {
  STACK=$RUN/stack
  local sink_port=$((BASE + 27)) smtp1=$((BASE + 25)) http1=$((BASE + 80)) smtp2=$((BASE + 26)) http2=$((BASE + 83))
  local edge2_pid roots=() s p cf=$RUN/main-portcullis.cf
  sbs_main_cf > "$cf"
  start_sink "$sink_port"
  export PORTCULLIS_RUN_DIR=$STACK PORTCULLIS_KAFKA_PORT=$((BASE + 92)) PORTCULLIS_INFINISPAN_PORT=$((BASE + 22))
  export PORTCULLIS_INFINISPAN_CLUSTER_PORT=$((BASE + 10)) PORTCULLIS_SMTP_PORT=$smtp1 QUARKUS_HTTP_PORT=$http1
  export PORTCULLIS_REPUTATION_PORT=$((BASE + 81)) PORTCULLIS_BAN_HTTP_PORT=$((BASE + 82)) PORTCULLIS_SINK_PORT=$sink_port
  export PORTCULLIS_CONTENT_PORT=$((BASE + 84)) PORTCULLIS_AGENT_HTTP_PORT=$((BASE + 85)) PORTCULLIS_AGENT_POLICY_PORT=$((BASE + 86))
  export PORTCULLIS_MAIN_CF=$cf PORTCULLIS_NEXT_HOPS=127.0.0.1:$sink_port
  # A fresh run directory each time (no bans, counts or topics left from an earlier run), but
  # the launcher's resolved class paths carried over, so that it does not re-resolve Kafka and
  # Infinispan Server every run, and a fresh build stamp: this bench measures the jars already
  # built (see "Needs" above), it does not rebuild them in the middle of a run (minutes on a
  # busy host).
  mkdir -p "$STACK" "$LAUNCHER_CACHE"
  for f in "${LAUNCHER_CACHED[@]}"; do [[ -e $LAUNCHER_CACHE/$f ]] && cp -p "$LAUNCHER_CACHE/$f" "$STACK/"; done
  touch "$STACK/.build-stamp"
  say "starting the stack (bin/portcullis up --detach --no-content --no-agent, run dir ${STACK#"$ROOT"/})"
  STACK_UP=1
  "$ROOT/bin/portcullis" up --detach --no-content --no-agent > "$RUN/stack-up.log" 2>&1 \
    || { tail -30 "$RUN/stack-up.log" >&2; die "bin/portcullis up failed (${RUN#"$ROOT"/}/stack-up.log)"; }
  for f in "${LAUNCHER_CACHED[@]}"; do [[ -e $STACK/$f ]] && cp -p "$STACK/$f" "$LAUNCHER_CACHE/"; done
  say "stack up: $(grep -c '^portcullis: starting' "$RUN/stack-up.log") services"

  # The launcher runs one edge; the second joins the same bus with the same settings.
  port_free "$smtp2" && port_free "$http2" || die "port $smtp2 or $http2 is in use (set SBS_PORT_BASE)"
  # shellcheck disable=SC2086 # EDGE_JAVA_OPTS is a list of JVM options
  (cd "$ROOT" && exec env KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$PORTCULLIS_KAFKA_PORT" \
     PORTCULLIS_SMTP_HOST=127.0.0.1 PORTCULLIS_SMTP_PORT="$smtp2" PORTCULLIS_EDGE_ID=edge-2 \
     QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$http2" PORTCULLIS_MAIN_CF="$cf" \
     PORTCULLIS_NEXT_HOPS="127.0.0.1:$sink_port" \
     "$JAVA" ${PORTCULLIS_EDGE_JAVA_OPTS:--Xmx512m -XX:MetaspaceSize=96m} -jar "$EDGE_JAR") > "$RUN/edge-2.log" 2>&1 &
  edge2_pid=$!
  PIDS_TO_STOP+=("$edge2_pid")
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http2/q/health/ready" 2>/dev/null && break
    kill -0 "$edge2_pid" 2>/dev/null || { tail -20 "$RUN/edge-2.log" >&2; die "edge 2 exited during start"; }
    sleep 0.5
  done
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http2/q/health/ready" || die "edge 2 not ready within 120 s"
  say "edges on 127.0.0.1:$smtp1 (launcher) and 127.0.0.1:$smtp2 (pid $edge2_pid)"

  for s in kafka infinispan reputation ban edge; do
    read -r p _ < "$STACK/pids/$s.pid" || die "no pid file for $s"
    roots+=("$p")
    [[ $s == edge ]] && EDGE1_PID=$p
  done
  sampler "$RUN/portcullis-samples.txt" "${roots[@]}" "$edge2_pid" &
  local sampler_pid=$!
  sampler "$RUN/edges-samples.txt" "$EDGE1_PID" "$edge2_pid" &
  local edges_sampler=$!
  PIDS_TO_STOP+=("$sampler_pid" "$edges_sampler")
  PC_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  run_generator "$RUN/portcullis" "Portcullis (2 edges)" "127.0.0.1:$smtp1,127.0.0.1:$smtp2"
  PC_GENERATOR_CMD=$GENERATOR_CMD
  PC_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
  printf 'attacker_sessions_left=%s\n' "$(ss -Htn state established "( sport = :$smtp1 or sport = :$smtp2 )" \
    | grep -c ' 127\.0\.30\.' || true)" >> "$RUN/portcullis.properties"
  touch "$RUN/portcullis-samples.txt.stop" "$RUN/edges-samples.txt.stop"
  wait "$sampler_pid" "$edges_sampler"
  summarize "$RUN/portcullis-samples.txt" defence >> "$RUN/portcullis.properties"
  summarize "$RUN/edges-samples.txt" edges >> "$RUN/portcullis.properties"

  curl -fsS --max-time 10 -H "Authorization: Bearer $(cat "$STACK/ban-read-token")" \
    "http://127.0.0.1:$PORTCULLIS_BAN_HTTP_PORT/api/v1/bans" > "$RUN/bans.json" 2>/dev/null || true
  {
    printf 'bans=%s\n' "$(grep -o '"cidr"' "$RUN/bans.json" | wc -l)"
    printf 'legit_banned=%s\n' "$(grep -c '127\.0\.31\.' "$RUN/bans.json" || true)"
    printf 'load_start=%s\nload_end=%s\n' "$PC_LOAD_START" "$PC_LOAD_END"
  } >> "$RUN/portcullis.properties"
  for p in $http1 $http2; do
    curl -fsS --max-time 10 "http://127.0.0.1:$p/q/metrics" > "$RUN/edge-metrics-$p.txt" 2>/dev/null || true
  done
  printf 'messages_relayed=%s\n' "$(awk '$1 == "portcullis_edge_messages_accepted_total" { s += $2 } END { print s + 0 }' \
    "$RUN"/edge-metrics-*.txt)" >> "$RUN/portcullis.properties"

  kill -TERM "$edge2_pid" 2>/dev/null || true
  "$ROOT/bin/portcullis" down > "$RUN/stack-down.log" 2>&1 || true
  STACK_UP=0
  unset PORTCULLIS_RUN_DIR
  say "Portcullis side done"
}

[[ ${SKIP_POSTFIX:-0} == 1 ]] || postfix_side
[[ ${SKIP_PORTCULLIS:-0} == 1 ]] || portcullis_side

# ------------------------------------------------------------------ report

prop() { [[ -f $1 ]] && awk -F= -v k="$2" '$1 == k { v = substr($0, length(k) + 2) } END { print (v == "" ? "n/a" : v) }' "$1" || echo n/a; }
row() {  # row LABEL KEY [SUFFIX]
  printf '| %s | %s%s | %s%s |\n' "$1" "$(prop "$RUN/postfix.properties" "$2")" "${3:-}" \
    "$(prop "$RUN/portcullis.properties" "$2")" "${3:-}"
}
{
  printf '## Side by side, %s\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'Command: `bench/run-sidebyside.sh %s %s`; host %s cores, %s; load average %s at the start.\n\n' \
    "$FLOOD_SECONDS" "$ATTACKERS" "$(nproc)" "$("$JAVA" -version 2>&1 | head -1)" "$LOAD_BEFORE"
  printf '| | Postfix + fail2ban | Portcullis |\n|---|---:|---:|\n'
  row 'load average (1/5/15 min) at the flood start' load_start
  row 'load average at the flood end' load_end
  row 'SMTP endpoints' targets
  row 'legit sessions under flood' legit_sessions
  row 'legit success (of the sessions it could start)' legit_success_pct ' %'
  row 'legit messages delivered of those offered (one per 250 ms slot)' legit_delivered_pct ' %'
  row 'legit latency p50 (ms)' legit_p50_ms
  row 'legit latency p99 (ms)' legit_p99_ms
  row 'legit latency max (ms)' legit_max_ms
  row 'legit slots missed (a session overran the next ones)' legit_missed_slots
  row 'legit latency idle p50 (ms)' idle_p50_ms
  row 'legit latency idle p99 (ms)' idle_p99_ms
  row 'legit addresses banned' legit_banned
  row 'attackers' attackers
  row 'attackers that offended (a rejected RCPT)' offended
  row 'attackers refused at least once (banned)' banned
  row 'bans the defence reports (fail2ban / ban-service)' bans
  row 'time to ban p50 (ms)' ban_p50_ms
  row 'time to ban p99 (ms)' ban_p99_ms
  row 'time to ban max (ms)' ban_max_ms
  row 'time to ban on every endpoint p99 (ms)' ban_all_p99_ms
  row 'attacker sessions opened (220)' opened
  row 'attacker commands accepted (2xx)' commands_accepted
  row 'attacker RCPT accepted' rcpt_accepted
  row 'attacker messages accepted' messages_accepted
  row 'attacker sessions opened after the first refusal' opened_after_ban
  row 'attacker RCPT accepted after the first refusal' rcpt_accepted_after_ban
  row 'attacker connects refused' refused
  row 'attacker connects answered 421 (anvil) or timed out' limited
  row 'sessions still open from attacker addresses after the flood' attacker_sessions_left
  row 'defending CPU seconds during the flood' defence_cpu_s
  row 'sampled interval (s)' defence_interval_s
  row 'defending peak RSS, summed (MiB)' defence_peak_rss_mib
  row 'defending peak PSS, summed (MiB)' defence_peak_pss_mib
  row 'defending processes (peak)' defence_peak_processes
  row 'of which the edges: CPU s' edges_cpu_s
  row 'of which the edges: peak RSS (MiB)' edges_peak_rss_mib
  printf '\n'
  for side in postfix portcullis; do
    [[ -f $RUN/$side.md ]] && { cat "$RUN/$side.md"; printf '\n'; }
  done
  printf 'Generators: `%s`; `%s`.\n' "${PF_GENERATOR_CMD:-not run}" "${PC_GENERATOR_CMD:-not run}"
  ((${#FAILED[@]} == 0)) || printf '\n**FAILED:** %s\n' "${FAILED[*]}"
} | tee "$RUN/results.md"
say "results in ${RUN#"$ROOT"/}/results.md"
((${#FAILED[@]} == 0))
