/**
 * NAME
 * <p>events - the Portcullis bus contract
 * <p>SUMMARY
 * <p>Topic names ({@link dev.portcullis.events.Topics}), the session event records an edge
 * publishes ({@link dev.portcullis.events.SessionEvent}) and their JSON codec, and the reader of
 * the compacted topics every enforcement point uses ({@link dev.portcullis.events.BusReader}: a
 * plain consumer in no group, from the beginning, with a "replay complete" signal per topic).
 * <p>PROTOCOL
 * <p>{@code portcullis.events}: key = client IP as text, value = JSON of one
 * {@code SessionEvent} with a {@code kind} property and a {@code meta} object
 * (schema, id, time, edgeId, sessionId, clientIp). Records are versioned by
 * {@code meta.schema}; a reader skips and counts what it cannot read.
 * <p>{@code portcullis.verdicts} (compacted): key = IP or CIDR as text, value = JSON of one
 * {@link dev.portcullis.events.Verdict} (see {@link dev.portcullis.events.VerdictCodec}), or a
 * tombstone that ends the verdict. Each entry carries its own expiry, which readers honour
 * even without a tombstone.
 * <p>{@code portcullis.decisions} (compacted): key = CIDR, value = JSON of one
 * {@link dev.portcullis.events.Decision} (BAN or ALLOW, ports, origin, reason, created,
 * expires; see {@link dev.portcullis.events.DecisionCodec}), or a tombstone when lifted. An
 * ALLOW covering a client wins over any BAN. Port scope: {@code ports} (only these TCP ports),
 * or, when that is empty, {@code exceptPorts} (every port but these; absent in older records =
 * none); never both.
 * <p>SECURITY
 * <p>Event fields that carry client-supplied text are truncated to a printable prefix by
 * the producer; consumers must still treat them as untrusted.
 */
package dev.portcullis.events;
