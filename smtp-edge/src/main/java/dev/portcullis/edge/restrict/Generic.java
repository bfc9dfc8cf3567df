package dev.portcullis.edge.restrict;

/**
 * {@code permit}, {@code reject}, {@code defer}: unconditional, worded with the list's own
 * reply name and class ("&lt;DATA&gt;: Data command rejected: Access denied").
 * {@code warn_if_reject} is the list walker's business ({@link RestrictionList}).
 */
enum Generic implements Restriction {
    PERMIT,
    REJECT,
    DEFER;



    @Override
    public String restriction() {
        return Restriction.nameOf(this);
    }

    @Override
    public Outcome apply(Evaluation ev) {
        return switch (this) {
            case PERMIT -> new Outcome.Permit(restriction());
            case REJECT -> ev.refuse(ev.codes.reject(), "5.7.1", ev.replyName(), ev.stage.replyClass(), "Access denied",
                    restriction());
            case DEFER -> ev.refuse(ev.codes.defer(), "4.3.2", ev.replyName(), ev.stage.replyClass(), "Try again later",
                    restriction());
        };
    }
}
