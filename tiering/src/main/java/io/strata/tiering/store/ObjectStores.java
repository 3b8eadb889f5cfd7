package io.strata.tiering.store;

import java.nio.file.Path;

/** Opens an object store from its URL: {@code file:/path} or {@code s3://bucket/prefix?endpoint=…&region=…}. */
public final class ObjectStores {
    private ObjectStores() {
    }

    public static ObjectStore open(String url) {
        if (url.startsWith("file:")) {
            return new LocalObjectStore(Path.of(url.substring("file:".length())));
        }
        if (url.startsWith("s3://")) {
            return new S3ObjectStore(S3Location.parse(url));
        }
        throw new IllegalArgumentException("unsupported object store URL '" + url
                + "': expected file:/path or s3://bucket/prefix?endpoint=…&region=…");
    }
}
