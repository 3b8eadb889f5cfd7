package io.strata.ingest.server;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This node's listeners, read from Kafka's keys: {@code listeners}, {@code advertised.listeners},
 * {@code listener.security.protocol.map} and {@code inter.broker.listener.name}. Without
 * {@code listeners}, one PLAINTEXT listener on {@code host}/{@code port}, advertised as
 * {@code advertised.host}/{@code advertised.port}, as before listeners existed.
 */
public record ListenerConfig(List<Listener> listeners, String interBrokerListener) {
    private static final Pattern ENDPOINT = Pattern.compile("^([A-Za-z0-9_-]+)://\\[?([0-9a-zA-Z\\-%._:]*?)]?:(\\d+)$");

    public ListenerConfig {
        listeners = List.copyOf(listeners);
    }

    public static ListenerConfig of(BrokerConfig config) {
        Map<String, SecurityProtocol> protocols = protocolMap(config.getString("listener.security.protocol.map"));
        String spec = config.getString("listeners").trim();
        if (spec.isEmpty()) {
            Listener only = new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, config.getString("host"), config.getInt("port"),
                    config.getString("advertised.host"), config.getInt("advertised.port"));
            return new ListenerConfig(List.of(only), only.name());
        }
        Map<String, String[]> bound = endpoints("listeners", spec);
        Map<String, String[]> advertised = config.getString("advertised.listeners").isBlank()
                ? Map.of() : endpoints("advertised.listeners", config.getString("advertised.listeners"));
        for (String name : advertised.keySet()) {
            if (!bound.containsKey(name)) {
                throw new ConfigException("advertised.listeners names " + name + ", which is not in listeners (" + spec + ")");
            }
        }
        List<Listener> out = new ArrayList<>();
        bound.forEach((name, hostPort) -> {
            SecurityProtocol protocol = protocols.get(name);
            if (protocol == null) {
                throw new ConfigException("listener " + name + " has no security protocol: add " + name
                        + ":PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL to listener.security.protocol.map");
            }
            String bindHost = hostPort[0].isEmpty() ? "0.0.0.0" : hostPort[0];
            int bindPort = Integer.parseInt(hostPort[1]);
            String[] adv = advertised.get(name);
            String advHost = adv != null && !adv[0].isEmpty() ? adv[0]
                    : hostPort[0].isEmpty() || hostPort[0].equals("0.0.0.0") || hostPort[0].equals("::") ? config.getString("advertised.host") : hostPort[0];
            int advPort = adv != null ? Integer.parseInt(adv[1]) : 0;
            out.add(new Listener(name, protocol, bindHost, bindPort, advHost, advPort));
        });
        String inter = config.getString("inter.broker.listener.name").trim();
        if (inter.isEmpty()) {
            inter = out.get(0).name();
        } else if (!bound.containsKey(inter)) {
            throw new ConfigException("inter.broker.listener.name " + inter + " is not one of listeners (" + spec + ")");
        }
        return new ListenerConfig(out, inter);
    }

    public Listener interBroker() {
        return listeners.stream().filter(l -> l.name().equals(interBrokerListener)).findFirst().orElseThrow();
    }

    public boolean anyTls() {
        return listeners.stream().anyMatch(Listener::usesTls);
    }

    public boolean anySasl() {
        return listeners.stream().anyMatch(Listener::usesSasl);
    }

    private static Map<String, String[]> endpoints(String key, String spec) {
        Map<String, String[]> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            Matcher m = ENDPOINT.matcher(p);
            if (!m.matches()) {
                throw new ConfigException("invalid " + key + " entry '" + p + "': expected NAME://host:port, e.g. SASL_SSL://:9093");
            }
            String name = m.group(1).toUpperCase(Locale.ROOT);
            int port = Integer.parseInt(m.group(3));
            if (port > 65535) {
                throw new ConfigException("invalid " + key + " entry '" + p + "': port above 65535");
            }
            if (out.put(name, new String[] {m.group(2), m.group(3)}) != null) {
                throw new ConfigException(key + " names listener " + name + " twice");
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException(key + " is empty");
        }
        return out;
    }

    private static Map<String, SecurityProtocol> protocolMap(String spec) {
        Map<String, SecurityProtocol> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            if (colon <= 0) {
                throw new ConfigException("invalid listener.security.protocol.map entry '" + p + "': expected NAME:PROTOCOL");
            }
            String protocol = p.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
            try {
                out.put(p.substring(0, colon).trim().toUpperCase(Locale.ROOT), SecurityProtocol.forName(protocol));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("invalid listener.security.protocol.map entry '" + p
                        + "': the protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
            }
        }
        return out;
    }
}
