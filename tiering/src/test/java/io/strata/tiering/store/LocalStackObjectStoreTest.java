package io.strata.tiering.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The ObjectStore contract against LocalStack's S3 through Testcontainers. Runs where a Docker
 * engine is available; reported as skipped elsewhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackObjectStoreTest extends ObjectStoreContract {
    static LocalStackContainer localstack;

    @BeforeAll
    static void startLocalStack() throws Exception {
        localstack = new LocalStackContainer(DockerImageName.parse("localstack/localstack:3.8")).withServices(LocalStackContainer.Service.S3);
        localstack.start();
        System.setProperty("aws.accessKeyId", localstack.getAccessKey());
        System.setProperty("aws.secretAccessKey", localstack.getSecretKey());
        try (S3ObjectStore s = new S3ObjectStore(S3Location.parse(url()))) {
            s.ensureBucket().get();
        }
    }

    @AfterAll
    static void stopLocalStack() {
        if (localstack != null) {
            localstack.stop();
        }
    }

    private static String url() {
        return "s3://contract/prefix?endpoint=" + localstack.getEndpoint() + "&region=" + localstack.getRegion();
    }

    @Override
    protected ObjectStore open() {
        return ObjectStores.open(url());
    }
}
