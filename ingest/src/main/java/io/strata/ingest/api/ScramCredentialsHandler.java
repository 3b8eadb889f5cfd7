package io.strata.ingest.api;

import io.strata.ingest.security.ScramCredentials;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554), so Kafka's
 * {@code kafka-configs --entity-type users} and Admin's {@code alterUserScramCredentials} manage
 * the users of every node. The client sends a salted password, never the password itself; only
 * the derived keys are stored. Errors per user as Kafka answers them.
 */
final class ScramCredentialsHandler {
    private final ScramCredentials credentials;

    ScramCredentialsHandler(ScramCredentials credentials) {
        this.credentials = credentials;
    }

    DescribeUserScramCredentialsResponseData describe(DescribeUserScramCredentialsRequestData req) {
        DescribeUserScramCredentialsResponseData resp = new DescribeUserScramCredentialsResponseData();
        Map<String, Map<String, Integer>> all = credentials.store().list();
        if (req.users() == null || req.users().isEmpty()) {
            all.forEach((user, mechanisms) -> resp.results().add(result(user, mechanisms)));
            return resp;
        }
        Map<String, Integer> asked = new HashMap<>();
        req.users().forEach(u -> asked.merge(u.name(), 1, Integer::sum));
        for (Map.Entry<String, Integer> e : new LinkedHashMap<>(asked).entrySet()) {
            String user = e.getKey();
            if (e.getValue() > 1) {
                resp.results().add(new DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult().setUser(user)
                        .setErrorCode(Errors.DUPLICATE_RESOURCE.code()).setErrorMessage("Cannot describe SCRAM credentials for the same user twice in a single request: " + user));
            } else if (!all.containsKey(user)) {
                resp.results().add(new DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult().setUser(user)
                        .setErrorCode(Errors.RESOURCE_NOT_FOUND.code()).setErrorMessage("Attempt to describe a user credential that does not exist: " + user));
            } else {
                resp.results().add(result(user, all.get(user)));
            }
        }
        return resp;
    }

    private static DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult result(String user, Map<String, Integer> mechanisms) {
        DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult r =
                new DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult().setUser(user).setErrorCode(Errors.NONE.code());
        mechanisms.forEach((name, iterations) -> r.credentialInfos().add(new DescribeUserScramCredentialsResponseData.CredentialInfo()
                .setMechanism(ScramMechanism.fromMechanismName(name).type()).setIterations(iterations)));
        return r;
    }

    AlterUserScramCredentialsResponseData alter(AlterUserScramCredentialsRequestData req) {
        AlterUserScramCredentialsResponseData resp = new AlterUserScramCredentialsResponseData();
        Map<String, Integer> perUser = new HashMap<>();
        req.deletions().forEach(d -> perUser.merge(d.name(), 1, Integer::sum));
        req.upsertions().forEach(u -> perUser.merge(u.name(), 1, Integer::sum));
        Map<String, Errors> failed = new LinkedHashMap<>();
        Map<String, String> messages = new HashMap<>();
        perUser.forEach((user, n) -> {
            if (user == null || user.isEmpty()) {
                failed.put(user, Errors.UNACCEPTABLE_CREDENTIAL);
                messages.put(user, "Username must not be empty");
            } else if (n > 1) {
                failed.put(user, Errors.DUPLICATE_RESOURCE);
                messages.put(user, "A user credential cannot be altered twice in the same request");
            }
        });
        // Checked in full before anything is written, so one bad entry of a user changes nothing of that user.
        for (AlterUserScramCredentialsRequestData.ScramCredentialDeletion d : req.deletions()) {
            if (!failed.containsKey(d.name()) && !known(d.mechanism())) {
                failed.put(d.name(), Errors.UNSUPPORTED_SASL_MECHANISM);
                messages.put(d.name(), "Unknown SCRAM mechanism " + d.mechanism());
            } else if (!failed.containsKey(d.name()) && credentials.store().get(d.name(), name(d.mechanism())).isEmpty()) {
                failed.put(d.name(), Errors.RESOURCE_NOT_FOUND);
                messages.put(d.name(), "Attempt to delete a user credential that does not exist");
            }
        }
        for (AlterUserScramCredentialsRequestData.ScramCredentialUpsertion u : req.upsertions()) {
            if (failed.containsKey(u.name())) {
                continue;
            }
            if (!known(u.mechanism())) {
                failed.put(u.name(), Errors.UNSUPPORTED_SASL_MECHANISM);
                messages.put(u.name(), "Unknown SCRAM mechanism " + u.mechanism());
                continue;
            }
            try {
                credentials.store().put(u.name(), ScramCredentials.fromSaltedPassword(name(u.mechanism()), u.salt(), u.saltedPassword(),
                        u.iterations()));
            } catch (IllegalArgumentException e) {
                failed.put(u.name(), Errors.UNACCEPTABLE_CREDENTIAL);
                messages.put(u.name(), e.getMessage());
            }
        }
        for (AlterUserScramCredentialsRequestData.ScramCredentialDeletion d : req.deletions()) {
            if (!failed.containsKey(d.name())) {
                credentials.store().delete(d.name(), name(d.mechanism()));
            }
        }
        for (String user : perUser.keySet()) {
            Errors e = failed.getOrDefault(user, Errors.NONE);
            resp.results().add(new AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult().setUser(user)
                    .setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : messages.get(user)));
        }
        return resp;
    }

    private static boolean known(byte type) {
        return ScramMechanism.fromType(type) != ScramMechanism.UNKNOWN;
    }

    private static String name(byte type) {
        return ScramMechanism.fromType(type).mechanismName();
    }

}
