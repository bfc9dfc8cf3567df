package dev.portcullis.postfix.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every corpus table answers its keys exactly as the real postmap -q did when the goldens
 * were recorded (generate-goldens.sh): values, exit status and warnings.
 */
class GoldenTablesTest {

    static Stream<String> tables() {
        List<String> tables = Corpus.tables();
        assertTrue(tables.size() >= 8, "corpus missing: " + tables);
        return tables.stream();
    }

    @ParameterizedTest
    @MethodSource("tables")
    void answersAsPostmapDid(String table) {
        Corpus.Answer golden = Corpus.golden(table);
        Corpus.Answer ours = Corpus.ours(table);
        assertEquals(golden.out(), ours.out(), table + " values");
        assertEquals(golden.exit(), ours.exit(), table + " exit status");
        assertEquals(Corpus.expectedWarnings(table, golden.warnings()), ours.warnings(), table + " warnings");
    }
}
