#!/usr/bin/env bash
# The power-loss harness for longer than the suite runs it: ./scripts/power-loss.sh [SEEDS] [FIRST_SEED]
# Replays one seed with: ./scripts/power-loss.sh 1 <seed>
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-20000}"
first="${2:-}"
args=(-Dstrata.powerloss.seeds="$seeds")
[ -n "$first" ] && [ "$seeds" = 1 ] && args=(-Dstrata.powerloss.seed="$first")
mvn -B -q -DskipTests -pl ingest -am install >/dev/null
exec mvn -B -pl ingest test -Dtest=PowerLossTest -Dsurefire.failIfNoSpecifiedTests=false "${args[@]}"
