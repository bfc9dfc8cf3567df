package dev.portcullis.postfix.table;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A table that follows its file: {@link #reload()} (call it from a timer, never from an event
 * loop) re-opens the file when its modification time, size or SHA-256 changed (a file changed
 * within two seconds of the last read is re-hashed even when time and size look the same, so a
 * same-size edit in one timestamp tick is not missed); a file that no
 * longer parses keeps the last good table in force and is reported by {@link #lastError()}
 * (file:line: problem). Lookups always see one complete table, never a half-read file.
 * Thread-safe; {@code inline:} tables have no file and never change.
 */
public final class ReloadingTable implements LookupTable {

    /**
     * A table and the file state it was read from; {@code readAt}: when (wall clock, ms);
     * {@code fileKey}: the identity (device and inode) of the file the path led to.
     */
    private record Loaded(LookupTable table, long mtime, long size, String sha256, long readAt, Object fileKey) {
    }

    /**
     * A file modified this close to when it was read may change again within the same
     * modification-time tick without its size changing; such a file is re-read (and hashed) at
     * the next reload rather than trusted by its attributes (git's "racy clean" rule).
     */
    static final long RACY_MILLIS = 2_000;

    private final String typeAndName;
    private final Path file;
    private final Tables.Mode mode;
    private volatile Loaded current;
    private volatile String lastError;
    private volatile long reloads;

    /** Opens the table now; a table that cannot be opened fails here, as at start-up. */
    public ReloadingTable(String typeAndName, Tables.Mode mode) {
        this.typeAndName = typeAndName;
        this.mode = mode;
        Tables.Spec spec = Tables.Spec.of(typeAndName);
        this.file = spec.type().equals("inline") ? null : Path.of(spec.name());
        this.current = load();
    }

    private Loaded load() {
        if (file == null) {
            return new Loaded(Tables.open(typeAndName, mode), 0, 0, "", 0, null);
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            String text = Tables.read(Tables.Spec.of(typeAndName));
            LookupTable t = Tables.parse(typeAndName, text, mode);
            return new Loaded(t, a.lastModifiedTime().toMillis(), a.size(), sha256(text), System.currentTimeMillis(),
                    a.fileKey());
        } catch (IOException e) {
            throw new TableException("open " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Re-opens the file if it changed.
     *
     * @return true when a new table is now in force
     */
    public synchronized boolean reload() {
        if (file == null) {
            return false;
        }
        Loaded old = current;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            long mtime = a.lastModifiedTime().toMillis();
            // The path is followed through symlinks: a Kubernetes ConfigMap update swaps the
            // "..data" link to a new directory at once, so the file is another inode (whatever
            // its time and size), and is read whole from there.
            if (mtime == old.mtime() && a.size() == old.size() && old.readAt() - mtime > RACY_MILLIS
                    && java.util.Objects.equals(a.fileKey(), old.fileKey())) {
                return false;
            }
            long readAt = System.currentTimeMillis();
            String text = Tables.read(Tables.Spec.of(typeAndName));
            String hash = sha256(text);
            if (hash.equals(old.sha256())) {
                current = new Loaded(old.table(), mtime, a.size(), hash, readAt, a.fileKey());
                return false;
            }
            LookupTable t = Tables.parse(typeAndName, text, mode);
            current = new Loaded(t, mtime, a.size(), hash, readAt, a.fileKey());
            lastError = null;
            reloads++;
            return true;
        } catch (IOException | TableException e) {
            lastError = e.getMessage();
            return false;
        }
    }

    /** Why the last reload was refused (file:line: problem), if it was; cleared by a good reload. */
    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** How many times a changed file replaced the table. */
    public long reloads() {
        return reloads;
    }

    @Override
    public String name() {
        return current.table().name();
    }

    @Override
    public Optional<TableMatch> find(String key) {
        return current.table().find(key);
    }

    @Override
    public boolean fixedKeys() {
        return current.table().fixedKeys();
    }

    @Override
    public int size() {
        return current.table().size();
    }

    @Override
    public List<TableWarning> warnings() {
        return current.table().warnings();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
