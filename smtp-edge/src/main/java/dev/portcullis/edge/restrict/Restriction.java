package dev.portcullis.edge.restrict;

/**
 * One entry of a restriction list. Implementations are immutable and shared by all sessions;
 * everything per-check is in the {@link Evaluation}.
 */
interface Restriction {

    /** The name (and table) the REJECT event and the mail log give as the check that fired. */
    String restriction();

    Outcome apply(Evaluation ev);

    /** For enums whose constants are the restriction names in upper case. */
    static String nameOf(Enum<?> constant) {
        return constant.name().toLowerCase(java.util.Locale.ROOT);
    }
}
