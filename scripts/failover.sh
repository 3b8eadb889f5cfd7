#!/usr/bin/env bash
# The cluster fault scenarios beyond what the suite runs: every FailoverIT scenario (and the
# scale-out one) on PostgreSQL and again on the embedded SQLite store of './strata cluster up',
# with more leader kills. Usage: ./scripts/failover.sh [KILLS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-20}"
mvn -B -q -DskipTests install >/dev/null
for store in postgresql embedded; do
  echo "== cluster scenarios on the $store MetaStore, $kills leader kills =="
  mvn -B -o -pl integration test-compile surefire:test -Dtest='FailoverIT,ScaleOutIT' \
    -Dstrata.failover.kills="$kills" -Dstrata.it.cluster.metastore="$store"
done
