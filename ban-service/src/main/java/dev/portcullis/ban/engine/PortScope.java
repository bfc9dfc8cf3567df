package dev.portcullis.ban.engine;

import dev.portcullis.events.Decision;

import java.util.List;
import java.util.TreeSet;

/**
 * The ports several decisions cover together, as one decision's {@code ports} and
 * {@code exceptPorts}: the union of what each covers, so merging claims never uncovers a port
 * one of them covered.
 * <ul>
 *   <li>any claim on every port (no ports, no exceptions): every port;</li>
 *   <li>else, with claims on "every port except E1", "except E2", ...: every port except the
 *       ports excepted by all of them and listed by none (a port-list claim on 80 fills the
 *       hole an "all but 80" claim leaves); nothing left excepted is every port;</li>
 *   <li>else the union of the port lists.</li>
 * </ul>
 *
 * @param ports       the decision's {@code ports}
 * @param exceptPorts the decision's {@code exceptPorts}; empty when {@code ports} is not
 */
record PortScope(List<Integer> ports, List<Integer> exceptPorts) {

    static final PortScope EVERY_PORT = new PortScope(List.of(), List.of());

    /** The union of what {@code decisions} cover. */
    static PortScope union(Iterable<Decision> decisions) {
        TreeSet<Integer> listed = new TreeSet<>();
        TreeSet<Integer> excepted = null;
        for (Decision d : decisions) {
            if (d.ports().isEmpty() && d.exceptPorts().isEmpty()) {
                return EVERY_PORT;
            }
            if (d.ports().isEmpty()) {
                if (excepted == null) {
                    excepted = new TreeSet<>(d.exceptPorts());
                } else {
                    excepted.retainAll(d.exceptPorts());
                }
            } else {
                listed.addAll(d.ports());
            }
        }
        if (excepted == null) {
            return new PortScope(List.copyOf(listed), List.of());
        }
        excepted.removeAll(listed);
        return new PortScope(List.of(), List.copyOf(excepted));
    }
}
