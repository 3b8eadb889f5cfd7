package io.strata.sdk.replay;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestJsonTest {
    /** A node's answer as its admin API writes it (indented), with a field this reader does not know in each object. */
    private static final String MANIFEST = """
            {
              "topic" : "bench",
              "topicId" : "nN9yvPX6Tnqlp_kalSNB8A",
              "partition" : 0,
              "objectStore" : "s3://bench/strata?endpoint=http://127.0.0.1:48080&region=us-east-1",
              "logStartOffset" : 12,
              "highWatermark" : 49943,
              "leader" : true,
              "future" : { "nested" : [ 1, { "deeper" : null } ], "segments" : [ ] },
              "segments" : [ {
                "baseOffset" : 0,
                "lastOffset" : 8275,
                "objectKey" : "c/t/0/00000000000000000000-0-9b57.seg",
                "sizeBytes" : 8359898,
                "minTimestamp" : 1796594802351,
                "maxTimestamp" : 1796594803487,
                "leaderEpoch" : 0,
                "tags" : { "a" : [ "b" ] }
              }, {
                "baseOffset" : 8276,
                "lastOffset" : 16531,
                "objectKey" : "c/t/0/00000000000000008276-0-1c2d.seg",
                "sizeBytes" : 8361002,
                "minTimestamp" : 1796594803488,
                "maxTimestamp" : 1796594804100,
                "leaderEpoch" : 0
              } ]
            }
            """;

    @Test
    void aManifestReadsWithEverySegmentInOrderAndFieldsItDoesNotKnowSkipped() throws IOException {
        ManifestClient.Manifest m = ManifestJson.manifest(MANIFEST);
        assertEquals("s3://bench/strata?endpoint=http://127.0.0.1:48080&region=us-east-1", m.objectStore());
        assertEquals(12, m.logStartOffset());
        assertEquals(49943, m.highWatermark());
        assertTrue(m.leader());
        assertEquals(List.of(
                new ManifestClient.Segment(0, 8275, "c/t/0/00000000000000000000-0-9b57.seg", 8359898, 1796594802351L, 1796594803487L),
                new ManifestClient.Segment(8276, 16531, "c/t/0/00000000000000008276-0-1c2d.seg", 8361002, 1796594803488L, 1796594804100L)),
                m.segments());
    }

    @Test
    void aTopicWithNoBucketAndANodeThatDoesNotSayItLeads() throws IOException {
        ManifestClient.Manifest m = ManifestJson.manifest(
                "{\"objectStore\":null,\"logStartOffset\":0,\"highWatermark\":5,\"segments\":[]}");
        assertNull(m.objectStore());
        assertFalse(m.leader());
        assertTrue(m.segments().isEmpty());
    }

    @Test
    void aManifestMissingWhatAReplayNeedsIsRefusedNamingIt() {
        assertEquals("no \"highWatermark\"", assertThrows(IOException.class, () -> ManifestJson.manifest(
                "{\"objectStore\":null,\"logStartOffset\":0,\"segments\":[]}")).getMessage());
        assertEquals("no \"sizeBytes\"", assertThrows(IOException.class, () -> ManifestJson.manifest(
                "{\"logStartOffset\":0,\"highWatermark\":5,\"segments\":[{\"baseOffset\":0,\"lastOffset\":1,\"objectKey\":\"k\","
                        + "\"minTimestamp\":1,\"maxTimestamp\":2}]}")).getMessage());
        assertTrue(assertThrows(IOException.class, () -> ManifestJson.manifest(
                "{\"logStartOffset\":\"0\",\"highWatermark\":5,\"segments\":[]}")).getMessage().contains("logStartOffset"));
        assertTrue(assertThrows(IOException.class, () -> ManifestJson.manifest(
                "{\"objectStore\":{\"logStartOffset\":1},\"logStartOffset\":0,\"highWatermark\":5,\"segments\":[]}"))
                .getMessage().contains("objectStore"));
        assertTrue(assertThrows(IOException.class, () -> ManifestJson.manifest(
                "{\"leader\":{\"highWatermark\":9},\"logStartOffset\":0,\"highWatermark\":5,\"segments\":[]}"))
                .getMessage().contains("leader"));
        assertThrows(IOException.class, () -> ManifestJson.manifest("[]"));
        assertThrows(IOException.class, () -> ManifestJson.manifest("<html>not found</html>"));
        assertThrows(IOException.class, () -> ManifestJson.manifest("{\"logStartOffset\":0,\"highWatermark\":5,\"segments\":[1]}"));
    }

    @Test
    void aTopicsPartitionsAreCounted() throws IOException {
        assertEquals(3, ManifestJson.partitionCount("""
                { "name" : "bench", "configs" : { "partitions" : "not this" },
                  "partitions" : [ { "partition" : 0, "replicas" : [ 0, 1 ] }, { "partition" : 1 }, { "partition" : 2 } ] }
                """));
        assertEquals(0, ManifestJson.partitionCount("{\"partitions\":[]}"));
        assertThrows(IOException.class, () -> ManifestJson.partitionCount("{\"name\":\"bench\"}"));
    }
    @Test
    void aTopicsManifestsReadByPartitionWithTheBucketNamedOnce() throws IOException {
        java.util.SortedMap<Integer, ManifestClient.Manifest> all = ManifestJson.topicManifests("""
                { "topic" : "bench", "objectStore" : "s3://b/p", "future" : [ { "partitions" : 1 } ],
                  "partitions" : [
                    { "partition" : 1, "logStartOffset" : 3, "highWatermark" : 9, "leader" : true, "segments" : [ ] },
                    { "partition" : 0, "leader" : false, "segments" : [ { "baseOffset" : 0, "lastOffset" : 4, "objectKey" : "k",
                      "sizeBytes" : 10, "minTimestamp" : 1, "maxTimestamp" : 2 } ] } ] }
                """);
        assertEquals(List.of(0, 1), List.copyOf(all.keySet()));
        assertEquals(new ManifestClient.Manifest("s3://b/p", 3, 9, true, List.of()), all.get(1));
        // A node with no replica of partition 0 gives no bounds for it, and says it does not lead it.
        assertEquals(new ManifestClient.Manifest("s3://b/p", -1, -1, false, List.of(new ManifestClient.Segment(0, 4, "k", 10, 1, 2))),
                all.get(0));
    }

    @Test
    void aTopicsManifestsThatDoNotAddUpAreRefused() {
        String p0 = "{\"partition\":0,\"logStartOffset\":0,\"highWatermark\":0,\"leader\":true,\"segments\":[]}";
        String p2 = p0.replace(":0,\"log", ":2,\"log");
        assertEquals("partition 0 is listed twice", assertThrows(IOException.class,
                () -> ManifestJson.topicManifests("{\"partitions\":[" + p0 + "," + p0 + "]}")).getMessage());
        assertTrue(assertThrows(IOException.class, () -> ManifestJson.topicManifests("{\"partitions\":[" + p0 + "," + p2 + "]}"))
                .getMessage().contains("not 0 to 1"));
        assertEquals("no \"partition\"", assertThrows(IOException.class,
                () -> ManifestJson.topicManifests("{\"partitions\":[" + p0.replace("\"partition\":0,", "") + "]}")).getMessage());
        assertEquals("no \"partitions\"", assertThrows(IOException.class, () -> ManifestJson.topicManifests("{}")).getMessage());
        assertTrue(assertThrows(IOException.class, () -> ManifestJson.topicManifests("{\"partitions\":["
                + p0.replace("\"partition\":0", "\"partition\":4294967296") + "]}")).getMessage().contains("no partition number"));
        // Only a node that says it does not lead a partition may leave out its bounds.
        assertEquals("no \"logStartOffset\"", assertThrows(IOException.class, () -> ManifestJson.topicManifests(
                "{\"partitions\":[{\"partition\":0,\"segments\":[]}]}")).getMessage());
    }
}
