package io.strata.metastore.fdb;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A FoundationDB MetaStore URL: {@code fdb:} (the default cluster file) or
 * {@code fdb:/path/to/fdb.cluster}, with TLS as query options for clusters whose coordinators
 * listen with {@code :tls}: {@code ?tls_cert_path=…&tls_key_path=…&tls_ca_path=…&tls_verify_peers=…}
 * (FoundationDB's network options of the same names; {@code tls_password} for an encrypted key).
 */
record FdbUrl(String clusterFile, Map<String, String> tls) {
    static final Set<String> TLS_OPTIONS = Set.of("tls_cert_path", "tls_key_path", "tls_ca_path", "tls_verify_peers", "tls_password");

    static FdbUrl parse(String url) {
        if (!url.startsWith("fdb:")) {
            throw new IllegalArgumentException("not a FoundationDB URL: " + url);
        }
        String rest = url.substring("fdb:".length());
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        Map<String, String> tls = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (!TLS_OPTIONS.contains(key)) {
                    throw new IllegalArgumentException("unknown option '" + key + "' in " + url + "; expected one of " + TLS_OPTIONS);
                }
                tls.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return new FdbUrl(rest.isEmpty() ? null : rest, tls);
    }

    /** The URL without secrets, for logs. */
    String display() {
        return "fdb:" + (clusterFile == null ? "(default cluster file)" : clusterFile) + (tls.isEmpty() ? "" : " (TLS)");
    }
}
