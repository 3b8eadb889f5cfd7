package io.strata.ingest.group;

/** The classic group protocol's states, named as Kafka's DescribeGroups/ListGroups report them. */
public enum GroupState {
    EMPTY("Empty"), PREPARING_REBALANCE("PreparingRebalance"), COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"), DEAD("Dead");

    private final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    public String kafkaName() {
        return kafkaName;
    }
}
