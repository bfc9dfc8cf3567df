/**
 * What the edge reads from the bus: {@link dev.portcullis.edge.cluster.BusFeed} reads
 * {@code portcullis.decisions} and {@code portcullis.verdicts} with one plain consumer in no
 * consumer group (events' {@link dev.portcullis.events.BusReader}), from the beginning at every
 * start; {@link dev.portcullis.edge.cluster.DecisionConsumer} applies the decisions to the ban
 * table and {@link dev.portcullis.edge.cluster.VerdictConsumer} the verdicts to a bounded,
 * expiring {@link dev.portcullis.edge.cluster.ClusterVerdicts} table, which the SMTP sessions
 * consult at connect, MAIL and RCPT without blocking.
 */
package dev.portcullis.edge.cluster;
