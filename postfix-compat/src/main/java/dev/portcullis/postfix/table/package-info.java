/**
 * NAME
 * <p>dev.portcullis.postfix.table - Postfix lookup tables (regexp, pcre, cidr, texthash/hash,
 * inline) with Postfix 3.7's semantics, on one linear-time regular expression engine
 *
 * <p>SUMMARY
 * <p>{@link dev.portcullis.postfix.table.Tables#open(String)} opens a table by its Postfix name
 * ({@code regexp:/etc/postfix/header_checks}, {@code pcre:...}, {@code cidr:...},
 * {@code texthash:...}, {@code hash:...}, {@code inline:{k=v, {k = v w}}}) and returns an
 * immutable, thread-safe {@link dev.portcullis.postfix.table.LookupTable}; {@code find(key)}
 * gives a {@link dev.portcullis.postfix.table.TableMatch}: the value (after {@code $n}
 * substitution) and the file:line of the rule. {@link dev.portcullis.postfix.table.Tables#parse}
 * builds one from text (an upload, a test). {@link dev.portcullis.postfix.table.AccessSearch}
 * does access(5)'s partial-key searches for {@code check_*_access};
 * {@link dev.portcullis.postfix.table.ReloadingTable} follows a file on disk;
 * {@link dev.portcullis.postfix.table.Postmap} is {@code postmap -q} ({@code bin/portcullis
 * postmap -q KEY TYPE:FILE}).
 * <p>Regexp and pcre rules run on RE2/J, whose matching time is linear in the key whatever the
 * rule: {@code /(a+)+$/} over 100 KB of 'a' costs milliseconds, not forever. POSIX rules are
 * translated from glibc's ERE/BRE syntax and matched leftmost-longest; pcre rules are
 * translated from PCRE syntax and matched leftmost-first. A table of N rules is not N regex
 * runs per key: one Aho-Corasick pass over the key finds which rules' required literals are
 * present (per rule, the literal that fewest rules share), and only those rules, plus rules
 * with no usable literal, negated rules and IF conditions, are matched, in file order, so the
 * first match is Postfix's first match.
 *
 * <p>PROTOCOL
 * <p>File formats as Postfix 3.7 documents and implements them (regexp_table(5),
 * pcre_table(5), cidr_table(5), postmap(1) INPUT FILE FORMAT, DATABASE_README for inline), checked
 * by golden files recorded from the real postmap ({@code corpus/generate-goldens.sh}) and by a
 * live differential test against the installed postmap:
 * <ul>
 * <li>Every format: '#' lines, blank lines ignored; a line starting with whitespace continues
 * the previous logical line, appended verbatim; trailing whitespace dropped.</li>
 * <li>regexp: {@code /re/flags result}, any non-alphanumeric delimiter ({@code \} before it
 * kept), {@code !/re/}, {@code /re1/!/re2/}, {@code if /re/} ... {@code endif} nested; flags i
 * (on), x (extended syntax, on: off gives BRE), m (REG_NEWLINE, off).</li>
 * <li>pcre: the same without {@code /re1/!/re2/}; flags i (caseless, on), s (dotall, on), m,
 * x, A (anchored), E (dollar end-only), U (ungreedy), X (ignored, as with PCRE2).</li>
 * <li>Result text: {@code $n}, {@code ${n}}, {@code $(n)}, {@code $$}; an unmatched group is
 * empty; {@code $n} beyond the groups, in a negated rule, or non-numeric skips the rule.</li>
 * <li>cidr: {@code [!]network/len result}, IPv4 and IPv6 (with or without brackets),
 * {@code if}/{@code endif}; first match; host bits not zero: the rule is skipped (3.7's
 * "non-null host address bits" warning); an IPv4 pattern never matches an IPv6 key.</li>
 * <li>texthash, hash (btree, lmdb, cdb, dbm): "key whitespace value", keys case-folded, quoted
 * keys keep their quotes, the first duplicate wins; lookups fold the key.</li>
 * <li>inline: comma/space separated {@code key=value} or {@code {key = value text}}, folded
 * keys, the last duplicate wins.</li>
 * </ul>
 * Postmap answers and exits as postmap: value and 0 when found, 1 when not; {@code -q -}
 * prints "key TAB value" per found stdin key; "postmap: warning: ..." and "postmap: fatal:
 * ..." in postmap's words.
 *
 * <p>SECURITY
 * <p>Table files come from the operator; keys come from the Internet (header lines, body
 * lines, HELO names, addresses) and are hostile. Matching is linear in the key for every rule,
 * with no backtracking and no step budget to tune. A rule whose compiled program would exceed
 * 100,000 instructions once counted repetitions are expanded ({@code ((a{1000}){1000}){1000}}),
 * nests groups more than 200 deep, or repeats more than 1,000 times is refused at load with
 * file:line, so a table line cannot exhaust heap or stack. Files are read whole up to 16 MiB,
 * strict UTF-8. Error messages quote at most a printable 60-character prefix where they quote
 * main.cf-style text; table warnings quote the offending rule text as Postfix does.
 *
 * <p>LIMITS
 * <p>Refused at load (STRICT mode: {@link dev.portcullis.postfix.table.TableSyntaxException}
 * "file:line: why"; POSTFIX mode: the rule is skipped with a warning), because no linear-time
 * engine can run them: back-references ({@code \1}, {@code \g}, {@code \k}, {@code (?P=}),
 * lookahead and lookbehind, atomic groups, possessive quantifiers, recursion, conditional
 * groups, {@code \G}, {@code \K}, backtracking verbs (pcre); back-references and the GNU word
 * edges {@code \<} {@code \>} (use {@code \b}) and undefined letter escapes such as {@code \d}
 * (regexp). Postfix runs these.
 * <p>Deviations, on purpose or known: Postfix skips a bad rule with a warning and goes on;
 * services open tables in STRICT mode and refuse the file instead (the postmap tool uses
 * POSTFIX mode and prints Postfix's warnings). pcre compile errors are RE2's words, not
 * PCRE2's ("error in regex: ..."). Where PCRE2 gives up ("match limit exceeded": Postfix
 * treats the rule as not matching, with a warning, for {@code /(a+)+$/} on 24 a's) we give the
 * true answer. Matching is on Unicode code points of UTF-8 text; Postfix in the C locale
 * matches bytes, so {@code .} and ranges differ on non-ASCII text. A group inside a
 * repetition that can match empty ({@code (c|)*}) may capture differently from PCRE, which
 * takes one more empty iteration; pcre's {@code $} before a final newline consumes it inside
 * a capture. {@code hash:file} is read from the source file, never from file.db. Lookup keys
 * of fixed tables are folded with Java's Locale.ROOT lower case (Postfix: ASCII, or UTF-8
 * casefold with smtputf8_enable).
 * <p>Cost: one scan per key plus the rules whose literal occurs, plus those with no literal
 * of two or more ASCII characters (e.g. {@code /^.{2000,}/}), negated rules and IF
 * conditions; each full match is an RE2/J NFA run (no DFA), about a microsecond per rule on a
 * header line. Benchmarks: {@code dev.portcullis.bench.RegexTableBench}.
 *
 * <p>CONFIGURATION
 * <p>None of its own: the table names come from the services' parameters (header_checks,
 * body_checks, check_*_access, ...). {@link dev.portcullis.postfix.table.AccessSearch} takes
 * parent_domain_matches_subdomains (whether it lists smtpd_access_maps; Postfix's default:
 * yes) and recipient_delimiter (default empty).
 * {@link dev.portcullis.postfix.table.ReloadingTable#reload()} is called by its owner on a
 * timer; it re-reads when mtime or size changed and replaces the table only when the content
 * hash changed and the new file loads.
 */
package dev.portcullis.postfix.table;
