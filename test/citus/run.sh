#!/usr/bin/env bash
# The Citus suite: builds Citus when needed (build.sh), starts a coordinator
# and two workers (cluster.sh), runs scenarios.sql on the coordinator and
# compares its output with expected.out, then runs concurrent writers through
# the coordinator with pgbench and checks every state, and listens on the
# workers for the notifications of a change.
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

# Concurrent writers through the coordinator: no transaction fails, and every
# state equals the rules afterwards.
concurrent() {
	local bindir
	bindir=$(pg_config --bindir)
	citus_psql 0 -qtA -v ON_ERROR_STOP=1 -f test/citus/concurrent.sql >/dev/null || return 1
	timeout 120 "$bindir/pgbench" -n -c 4 -j 2 -T 8 -f test/citus/concurrent.pgb \
		-h 127.0.0.1 -p "${CITUS_PORTS[0]}" -U "$PGUSER" "$CITUS_DB" >"$results/pgbench.out" 2>&1 ||
		return 1
	grep -q '^number of failed transactions: 0 ' "$results/pgbench.out" || return 1
	echo "citus: concurrent writers: $(grep '^number of transactions actually processed' "$results/pgbench.out" | sed 's/.*: //') transactions, 0 failed"
	[[ $(citus_psql 0 -qtA -f test/citus/concurrent_check.sql) == 0 ]]
}

# notify_channel on distributed tables: the worker whose shard's trigger saw
# the changes sends the NOTIFY; listen on both workers while one tenant's
# order is won through the coordinator.
announcements() {
	local i n where
	citus_psql 0 -qtA -v ON_ERROR_STOP=1 -c "SET citus.enable_unsafe_triggers = on" \
		-c "SELECT returning_crm.configure('cc', notify_channel => 'returning_cc')" >/dev/null || return 1
	for i in 1 2; do
		citus_psql "$i" -qtA -c "LISTEN returning_cc" -c "SELECT pg_sleep(3)" >"$results/listen$i.out" 2>&1 &
	done
	sleep 1
	citus_psql 0 -qtA -v ON_ERROR_STOP=1 -c "UPDATE cc.deal SET stage = CASE WHEN stage = 'won'
		THEN 'new' ELSE 'won' END WHERE tenant_id = 1 AND id = 1" >/dev/null || return 1
	wait
	n=$(cat "$results"/listen1.out "$results"/listen2.out | grep -c 'Asynchronous notification "returning_cc"')
	where=$(grep -l 'Asynchronous notification "returning_cc"' "$results"/listen1.out "$results"/listen2.out | wc -l)
	echo "citus: notify_channel: $n notifications, from $where worker"
	((n > 0 && where == 1))
}

# log_changes on when the tables were distributed: writes refused until off
log_changes() {
	citus_psql 0 -qtA -f test/citus/log_changes.sql >"$results/log_changes.out" 2>&1
	grep -q 'ERROR:  log_changes is not supported on distributed tables' "$results/log_changes.out" &&
		grep -q '^state: new$' "$results/log_changes.out" &&
		[[ $(grep -c ERROR "$results/log_changes.out") == 1 ]] &&
		echo "citus: log_changes on at distribution: writes refused (0A000) until it is off"
}

if diff -u test/citus/expected.out "$results/scenarios.out" >"$results/scenarios.diff"; then
	if concurrent && announcements && log_changes; then
		rm -rf "$results"
		echo "citus: scenarios passed"
		exit 0
	fi
	echo "citus: concurrent writers, notifications or log_changes FAILED"
	cat "$results/log_changes.out" 2>/dev/null
	cat "$results/pgbench.out"
	for node in "${CITUS_NODES[@]}"; do cp "$CITUS_DIR/$node.log" "$results/" 2>/dev/null; done
	echo "citus: output and server logs in $results"
	exit 1
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
