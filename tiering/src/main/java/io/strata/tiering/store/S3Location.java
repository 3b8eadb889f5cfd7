package io.strata.tiering.store;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code s3://bucket/prefix?endpoint=http://host:port&region=us-east-1}: the bucket, a key prefix
 * (may be empty), and for S3-compatible servers an endpoint (path-style access is then used).
 */
public record S3Location(String bucket, String prefix, String endpoint, String region) {

    public static S3Location parse(String url) {
        URI uri = URI.create(url);
        if (!"s3".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("object store URL '" + url + "' must look like s3://bucket/prefix?endpoint=…&region=…");
        }
        Map<String, String> q = new HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                String[] p = kv.split("=", 2);
                q.put(p[0], p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "");
            }
        }
        for (String k : q.keySet()) {
            if (!k.equals("endpoint") && !k.equals("region")) {
                throw new IllegalArgumentException("unknown parameter '" + k + "' in object store URL; expected endpoint and region");
            }
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+", "").replaceAll("/+$", "");
        String region = q.getOrDefault("region", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
        return new S3Location(uri.getHost(), path, q.get("endpoint"), region);
    }
}
