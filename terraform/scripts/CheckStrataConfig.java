import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads strata.yaml files rendered by the Terraform modules with Strata's own configuration
 * parser, the one {@code strata broker --config} uses, so that a key Strata does not know or a
 * value it refuses fails here rather than at a node's start-up.
 *
 * <pre>
 * java -cp ingest/target/strata.jar terraform/scripts/CheckStrataConfig.java node0.yaml node1.yaml …
 * </pre>
 *
 * Exit status: 0 all files accepted, 1 a file refused, 3 Strata's classes are not on the class
 * path (the caller reports the check as skipped). The parser is reached by reflection, so this file
 * compiles whatever the class path holds.
 */
public class CheckStrataConfig {
    private static final String CONFIG_CLASS = "io.strata.ingest.config.BrokerConfig";

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: java -cp strata.jar CheckStrataConfig.java FILE...");
            System.exit(2);
        }
        Method resolve;
        try {
            Class<?> config = Class.forName(CONFIG_CLASS);
            resolve = config.getMethod("resolve", Path.class, Map.class, Map.class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            System.out.println("SKIPPED: Strata's " + CONFIG_CLASS + ".resolve(Path, Map, Map) is not on the class path: " + e);
            System.exit(3);
            return;
        }
        int refused = 0;
        for (String arg : args) {
            Path file = Path.of(arg);
            if (!Files.isReadable(file)) {
                System.out.println("FAIL: " + file + ": cannot be read");
                refused++;
                continue;
            }
            try {
                Object resolved = resolve.invoke(null, file, Map.of(), Map.of());
                Method getString = resolved.getClass().getMethod("getString", String.class);
                Method getInt = resolved.getClass().getMethod("getInt", String.class);
                System.out.println("ok: " + file + ": node.id " + getInt.invoke(resolved, "node.id")
                        + ", advertised " + getString.invoke(resolved, "advertised.host") + ":" + getInt.invoke(resolved, "port")
                        + ", rack '" + getString.invoke(resolved, "broker.rack") + "'");
            } catch (InvocationTargetException e) {
                System.out.println("FAIL: " + file + ": Strata refuses it: " + e.getCause().getMessage());
                refused++;
            }
        }
        System.exit(refused == 0 ? 0 : 1);
    }
}
