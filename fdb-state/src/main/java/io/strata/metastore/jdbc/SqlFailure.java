package io.strata.metastore.jdbc;

import java.sql.SQLException;

/** Carries an SQLException through the Transaction interface, whose methods do not declare it. */
public final class SqlFailure extends RuntimeException {
    public SqlFailure(SQLException cause) {
        super(cause);
    }

    @Override
    public synchronized SQLException getCause() {
        return (SQLException) super.getCause();
    }
}
