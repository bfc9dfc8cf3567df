package dev.portcullis.edge.restrict;

import java.net.InetAddress;
import java.util.function.Predicate;

/** {@code permit_mynetworks}: PERMIT when the client is in {@code mynetworks}. */
final class ClientNetworks implements Restriction {

    private final Predicate<InetAddress> mynetworks;

    ClientNetworks(Predicate<InetAddress> mynetworks) {
        this.mynetworks = mynetworks;
    }

    @Override
    public String restriction() {
        return "permit_mynetworks";
    }

    @Override
    public Outcome apply(Evaluation ev) {
        return mynetworks.test(ev.facts.client()) ? new Outcome.Permit(restriction()) : Outcome.DUNNO;
    }
}
