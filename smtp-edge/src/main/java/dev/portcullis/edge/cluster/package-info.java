/**
 * Cluster-wide verdicts on the edge: {@link dev.portcullis.edge.cluster.VerdictConsumer} reads
 * {@code portcullis.verdicts} into a bounded, expiring {@link dev.portcullis.edge.cluster.ClusterVerdicts}
 * table that the SMTP sessions consult at connect, MAIL and RCPT without blocking.
 */
package dev.portcullis.edge.cluster;
