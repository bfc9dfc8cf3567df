package dev.portcullis.content.rules;

import dev.portcullis.content.check.Table;

/** Opens a table by its Postfix name ({@code regexp:/path}); throws with file:line on a bad rule. */
@FunctionalInterface
public interface TableOpener {
    Table open(String typeAndName);
}
