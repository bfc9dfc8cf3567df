/**
 * NAME
 * <br>bench - load generators for the smtp-edge and the reputation-service, run by hand
 *
 * <p>SUMMARY
 * <br>{@link dev.portcullis.bench.HeldSessionsBench} holds thousands of tarpitted sessions
 * open on an edge while a clean client measures what a legitimate sender still sees, and
 * reports the edge's memory per held session. Throughput of clean mail through the edge,
 * against {@code smtp-source} straight to {@code smtp-sink}, is measured by
 * {@code bench/run-throughput.sh} with Postfix's own tools.
 * {@link dev.portcullis.bench.ReputationBench} fills {@code portcullis.events} with
 * {@link dev.portcullis.bench.EventGenerator}'s sessions and compares the reputation-service's
 * ingest with a plain Kafka consumer, times its REST API meanwhile, and measures its memory
 * and the grid's per tracked client; {@link dev.portcullis.bench.JfrSummary} condenses a JFR
 * recording of it. {@link dev.portcullis.bench.SideBySideBench} runs one flood from many 127.x
 * {@link dev.portcullis.bench.Attacker}s and one paced legitimate sender against a defence
 * ({@code bench/run-sidebyside.sh}: Postfix + fail2ban, then Portcullis) and times each
 * attacker's ban. See {@code bench/README.md}.
 *
 * <p>PROTOCOL
 * <br>Reputation bench: Kafka (producer and consumers), Hot Rod (to a 2-node grid inside the bench JVM)
 * and HTTP (the service's REST API, readiness and metrics), loopback only.
 * <br>SMTP benches: SMTP (RFC 5321) as a client, over loopback only. A held session reads the banner and
 * then sends one unknown command ({@code BOGUS}) after each reply, one at a time, so that
 * past {@code smtpd_soft_error_limit} every reply it gets is delayed by the edge. The edge's
 * metrics are read from its Prometheus endpoint; its memory from {@code /proc/<pid>/status}
 * and, when {@code jcmd} is present, its live heap from {@code jcmd GC.class_histogram}.
 *
 * <p>SECURITY
 * <br>Load generators: the SMTP benches refuse targets outside 127.0.0.0/8 and bind their
 * sockets to loopback source addresses; the reputation bench's broker, grid and service
 * listen on 127.0.0.1 only, and its REST token is random per run. Every loop is bounded in
 * count and in time.
 *
 * <p>LIMITS
 * <br>One selector thread drives all held sessions, so the generator needs one file
 * descriptor per session and no thread per session; on a host whose per-process limit is
 * 20,000 open files that caps one run near 19,000 held sessions (the edge hits the same
 * limit). Heap "as seen" depends on when the last collection ran; the live heap (class
 * histogram total) is the one to extrapolate from.
 *
 * <p>CONFIGURATION
 * <br>Command-line options {@code --name=value}; see {@link dev.portcullis.bench.HeldSessionsBench}.
 * The edge's settings for a run are {@code bench/main-held.cf} and {@code bench/main-throughput.cf}.
 */
package dev.portcullis.bench;
