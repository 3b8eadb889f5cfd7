package io.strata.sdk.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replay's progress: per partition, the next offset to deliver. Stored as a small JSON file
 * written atomically (temp file, then rename), so a crash never leaves half a checkpoint.
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The file's content; {@code range} describes the bounds asked for (null in files from before it was kept). */
    public record State(String topic, Map<Integer, Long> next, Map<Integer, Long> end, String range) {
    }

    private final Path file;

    public Checkpoint(Path file) {
        this.file = file;
    }

    public State read() {
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), State.class) : null;
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable replay checkpoint " + file, e);
        }
    }

    public synchronized void write(String topic, Map<Integer, Long> next, Map<Integer, Long> end, String range) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), new State(topic, new TreeMap<>(next), new TreeMap<>(end), range));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write replay checkpoint " + file, e);
        }
    }
}
