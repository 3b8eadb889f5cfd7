package io.strata.ingest.group;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class GroupWriteSequencerTest {
    final GroupWriteSequencer writes = new GroupWriteSequencer();

    @Test
    void aGroupsWritesStartOnlyAfterThePreviousOneFinished() {
        List<String> started = new CopyOnWriteArrayList<>();
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> a = writes.submit("g", () -> {
            started.add("commit offset 10");
            return first;
        });
        CompletableFuture<String> b = writes.submit("g", () -> {
            started.add("commit offset 20");
            return CompletableFuture.completedFuture("b");
        });
        CompletableFuture<String> other = writes.submit("h", () -> {
            started.add("other group");
            return CompletableFuture.completedFuture("h");
        });
        assertThat(started).as("the second commit waits; another group does not").containsExactly("commit offset 10", "other group");
        assertThat(b).isNotDone();
        first.complete("a");
        assertThat(a).isCompletedWithValue("a");
        assertThat(b).isCompletedWithValue("b");
        assertThat(other).isCompletedWithValue("h");
        assertThat(started).containsExactly("commit offset 10", "other group", "commit offset 20");
    }

    @Test
    void aFailedWriteFailsItsCallerButNotTheNextWrite() {
        CompletableFuture<String> failed = writes.submit("g", () -> CompletableFuture.failedFuture(new IllegalStateException("store down")));
        CompletableFuture<String> next = writes.submit("g", () -> CompletableFuture.completedFuture("ok"));
        assertThat(failed).isCompletedExceptionally();
        assertThat(next).isCompletedWithValue("ok");
    }
}
