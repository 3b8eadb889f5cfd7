package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Base of test classes whose tests share one Strata node (default settings) and an Admin client on it. */
public abstract class SharedNode {
    @TempDir
    protected static Path dir;
    protected static StrataNode node;
    protected static Admin admin;

    @BeforeAll
    static void startSharedNode() throws Exception {
        node = StrataNode.start(dir.resolve("node"));
        admin = Clients.admin(node);
    }

    @AfterAll
    static void stopSharedNode() throws Exception {
        admin.close();
        node.close();
    }
}
