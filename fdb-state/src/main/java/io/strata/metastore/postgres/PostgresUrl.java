package io.strata.metastore.postgres;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code postgresql://user[:password]@host[:port]/database[?param=value]} (also {@code postgres://}),
 * as libpq writes it. The password comes from the URL or, failing that, {@code PGPASSWORD}.
 */
public record PostgresUrl(String jdbcUrl, String user, String password, String display) {

    public static PostgresUrl parse(String url, Map<String, String> env) {
        String rest = url.replaceFirst("^postgres(ql)?://", "");
        URI uri = URI.create("pg://" + rest);
        if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() <= 1) {
            throw new IllegalArgumentException("metastore URL '" + url + "' must look like postgresql://user@host:port/database");
        }
        String user = "postgres";
        String password = env.get("PGPASSWORD");
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            if (parts.length == 2) {
                password = decode(parts[1]);
            }
        }
        int port = uri.getPort() == -1 ? 5432 : uri.getPort();
        String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String display = "postgresql://" + user + "@" + uri.getHost() + ":" + port + uri.getRawPath();
        return new PostgresUrl(jdbc, user, password, display);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
