package dev.portcullis.edge.cluster;

import dev.portcullis.edge.protocol.Untrusted;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The records of one replayed topic that could not be read: counted, the last one kept for
 * health, and logged the first time and every thousandth after, so a flood of bad records
 * cannot flood the log. Only a printable prefix of the (untrusted) key and reason is kept.
 */
final class SkippedRecords {

    private final Logger log;
    private final String what;
    private final AtomicLong count = new AtomicLong();
    private volatile String last;

    SkippedRecords(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    void skip(ConsumerRecord<String, byte[]> record, String reason) {
        long n = count.incrementAndGet();
        String where = record.topic() + "-" + record.partition() + "@" + record.offset() + " key "
                + (record.key() == null ? "(none)" : Untrusted.printable(record.key(), 60)) + ": "
                + Untrusted.printable(String.valueOf(reason), 200);
        last = where;
        if (n == 1 || n % 1000 == 0) {
            log.warnf("skipping unreadable %s record %s (%d skipped so far)", what, where, n);
        }
    }

    long count() {
        return count.get();
    }

    /** Where and why the last unreadable record was skipped, or null. */
    String last() {
        return last;
    }
}
