package io.strata.ingest.log;

import java.nio.ByteBuffer;

/** Record bytes read from a log (whole batches), with the log's offsets at the time of the read. */
public record FetchResult(ByteBuffer records, long highWatermark, long logStartOffset) {
}
