#!/usr/bin/env bash
# The Citus suite: builds Citus when needed (build.sh), starts a coordinator
# and two workers (cluster.sh), runs scenarios.sql on the coordinator and
# compares its output with expected.out.
# Exit 0: passed; 1: failed (the diff is printed, the output and the nodes'
# logs are kept); 77: skipped (Citus is neither installed nor buildable here).
set -uo pipefail
cd "$(dirname "$0")/../.."

test/citus/build.sh
rc=$?
((rc == 77)) && exit 77
((rc == 0)) || exit 1

. test/citus/cluster.sh
citus_start || { echo "citus: the cluster did not start"; exit 1; }
echo "citus: coordinator on port ${CITUS_PORTS[0]}, workers on ${CITUS_PORTS[1]} and ${CITUS_PORTS[2]}"

results=$(mktemp -d /tmp/returning-citus-results.XXXXXX)
(
	cd test/citus &&
		PGOPTIONS='-c statement_timeout=60s' timeout 300 \
			psql -X -qtA -h 127.0.0.1 -p "${CITUS_PORTS[0]}" -U "$PGUSER" -d "$CITUS_DB" -f scenarios.sql
) >"$results/scenarios.out" 2>&1

if diff -u test/citus/expected.out "$results/scenarios.out" >"$results/scenarios.diff"; then
	rm -rf "$results"
	echo "citus: scenarios passed"
	exit 0
fi
for node in "${CITUS_NODES[@]}"; do cp "$CITUS_DIR/$node.log" "$results/" 2>/dev/null; done
head -300 "$results/scenarios.diff"
# A worker's error reaches the coordinator without its CONTEXT: show the workers' own.
for node in worker1 worker2; do
	grep -q ERROR "$results/$node.log" 2>/dev/null || continue
	echo "-- errors in the log of $node:"
	grep -A3 ' ERROR: ' "$results/$node.log" | cut -c1-400 | head -40
done
echo "citus: scenarios FAILED; output, diff and server logs in $results"
exit 1
