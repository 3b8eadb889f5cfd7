package io.strata.tiering.service;

import io.strata.metastore.store.SegmentManifestStore;
import io.strata.tiering.store.ObjectInfo;
import io.strata.tiering.store.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The orphan sweep: objects under this cluster's prefix that no manifest entry names (an upload
 * that crashed between its PUT and its commit, a compaction's replaced objects once their grace
 * has passed) are deleted once older than the grace period. Runs on one thread at a time.
 */
final class OrphanSweep {
    private static final Logger log = LoggerFactory.getLogger(OrphanSweep.class);

    private final ObjectStore store;
    private final SegmentManifestStore manifest;
    private final String clusterId;
    private final LongSupplier clock;
    private final long orphanGraceMs;
    private final Consumer<String> evict;

    /** {@code evict}: forgets what the node cached of a deleted object. */
    OrphanSweep(ObjectStore store, SegmentManifestStore manifest, String clusterId, LongSupplier clock, long orphanGraceMs,
                Consumer<String> evict) {
        this.store = store;
        this.manifest = manifest;
        this.clusterId = clusterId;
        this.clock = clock;
        this.orphanGraceMs = orphanGraceMs;
        this.evict = evict;
    }

    /**
     * Deletes objects under this cluster that no manifest entry names and that are older than the
     * grace period. The listing comes first and the manifest after, and each candidate is looked
     * up once more right before its delete, so an entry committed meanwhile is seen.
     */
    int run() {
        try {
            List<ObjectInfo> listed = store.list(clusterId + "/").get(5, TimeUnit.MINUTES);
            Set<String> named = manifest.allObjectKeys();
            Map<String, Long> retired = manifest.retiredObjects();
            long now = clock.getAsLong();
            int deleted = 0;
            for (ObjectInfo o : listed) {
                // A snapshot belongs to the segment object of the same name.
                String owner = o.key().endsWith(".snapshot") ? o.key().substring(0, o.key().length() - ".snapshot".length()) + ".seg" : o.key();
                Long retiredAt = retired.get(owner);
                if (retiredAt != null && now - retiredAt <= orphanGraceMs) {
                    continue; // replaced by a compaction a moment ago (on any node): a read may still be on its way to it
                }
                if (!named.contains(owner) && now - o.lastModifiedMs() > orphanGraceMs && !manifest.names(owner)) {
                    evict.accept(owner);
                    store.delete(o.key()).get(1, TimeUnit.MINUTES);
                    if (retiredAt != null && o.key().equals(owner)) {
                        manifest.forgetRetired(owner);
                    }
                    log.info("deleted orphan object {} ({} bytes): no manifest entry names it", o.key(), o.size());
                    deleted++;
                }
            }
            return deleted;
        } catch (Exception e) {
            log.warn("orphan sweep failed: {}", TieringService.rootMessage(e));
            return 0;
        }
    }
}
