package io.strata.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and certificates signed by it, made with the JDK's keytool in a test's
 * directory: PKCS12 stores (password {@link #PASSWORD}) and PEM files where a C client needs them.
 */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";
    private final Path dir;

    public TestCertificates(Path dir) throws Exception {
        this.dir = dir;
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=Strata Test CA",
                "-ext", "bc:c", "-validity", "30", "-keystore", path("ca.p12"), "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-exportcert", "-alias", "ca", "-keystore", path("ca.p12"), "-storepass", PASSWORD, "-rfc", "-file", path("ca.pem"));
        keytool("-importcert", "-alias", "ca", "-file", path("ca.pem"), "-keystore", path("truststore.p12"), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-noprompt");
    }

    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /** A key store {@code name}.p12 holding a key and a certificate for {@code dn} signed by the CA. */
    public Path issue(String name, String dn, String san) throws Exception {
        return issue(name, dn, san, null, 30);
    }

    /** As {@link #issue(String, String, String)}, valid from {@code startDate} (keytool's syntax, e.g. -3d) for {@code days}. */
    Path issue(String name, String dn, String san, String startDate, int days) throws Exception {
        String store = path(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", dn, "-validity", "30",
                "-keystore", store, "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", name, "-keystore", store, "-storepass", PASSWORD, "-file", path(name + ".csr"));
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", path("ca.p12"), "-storepass", PASSWORD,
                "-infile", path(name + ".csr"), "-outfile", path(name + ".pem"), "-rfc", "-validity", Integer.toString(days)));
        if (san != null) {
            sign.addAll(List.of("-ext", "SAN=" + san));
        }
        if (startDate != null) {
            sign.add("-startdate");
            sign.add(startDate);
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-alias", "ca", "-file", path("ca.pem"), "-keystore", store, "-storepass", PASSWORD, "-noprompt");
        keytool("-importcert", "-alias", name, "-file", path(name + ".pem"), "-keystore", store, "-storepass", PASSWORD, "-noprompt");
        return dir.resolve(name + ".p12");
    }

    private String path(String file) {
        return dir.resolve(file).toString();
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool timed out: " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("keytool failed: " + cmd + "\n" + out);
        }
    }
}
