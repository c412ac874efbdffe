#!/usr/bin/env bash
# Randomised differential test of the classification rules.
#
# Runs thousands of random statements against two attached workspaces (see
# setup.sql) and, after every batch, compares every row's state with a
# from-scratch SQL evaluation of the rules (check.sql). Exit 0 only when no row
# ever differed, no statement failed unexpectedly and reclassify() finds
# nothing to change at the end.
#
#   DIFF_SEED   seed (default: random, printed)
#   DIFF_OPS    number of operations (default 20000)
#   DIFF_BATCH  operations per batch (default 200)
#   DIFF_PARTITIONED  1: the 'default' orders table is partitioned by its
#               ordered_by column (partitioned.sql)
#
# Uses the cluster named by PGHOST/PGPORT/PGUSER when set (test/run.sh does),
# otherwise starts a throwaway one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [[ -z ${PGPORT:-} || -z ${PGHOST:-} ]]; then
	. "$here/../lib.sh"
	cluster_start
fi

seed=${DIFF_SEED:-$(( (RANDOM * 32768 + RANDOM) % 1000000000 + 1 ))}
ops=${DIFF_OPS:-20000}
batch=${DIFF_BATCH:-200}
batches=$(( (ops + batch - 1) / batch ))
db=returning_diff
work=$(mktemp -d /tmp/returning-diff.XXXXXX)
trap 'rm -rf "$work"; declare -F cluster_stop >/dev/null && cluster_stop' EXIT

echo "differential test: seed $seed, $ops operations in $batches batches of $batch${DIFF_PARTITIONED:+, orders partitioned}"
echo "reproduce with: ${DIFF_PARTITIONED:+DIFF_PARTITIONED=1 }DIFF_SEED=$seed DIFF_OPS=$ops DIFF_BATCH=$batch $0"

psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

# The whole run is one psql session, so that setseed() makes it reproducible.
{
	echo "\\set ON_ERROR_STOP 1"
	echo "\\set QUIET 1"
	echo "\\i $here/setup.sql"
	[[ ${DIFF_PARTITIONED:-0} == 1 ]] && echo "\\i $here/partitioned.sql"
	echo "\\i $here/driver.sql"
	echo "\\i $here/check.sql"
	echo "SET client_min_messages = warning;"
	echo "SET timezone = 'UTC';"
	echo "SELECT setseed($seed / 1000000000.0) IS NULL AS x \\gset"
	echo "-- rows that exist before the tables are attached"
	echo "CALL diff.run_batch(0, 600, true);"
	echo "TRUNCATE diff.opcount;"
	echo "\\i $here/attach.sql"
	echo "SELECT diff.check(0) AS bad \\gset"
	for ((b = 1; b <= batches; b++)); do
		n=$batch
		((b == batches)) && n=$((ops - batch * (batches - 1)))
		echo "CALL diff.run_batch($b, $n);"
		if ((b % 10 == 5)); then
			# COPY into one workspace (alternating), orders and leads
			if ((b % 20 == 5)); then
				echo "SELECT diff.stage_copy('default', 40) IS NULL AS x \\gset"
				echo "\\copy (SELECT contact, company, status FROM diff.copy_leads ORDER BY seq) TO '$work/leads.csv'"
				echo "\\copy app.lead (contact_id, company_id, status) FROM '$work/leads.csv'"
				echo "\\copy (SELECT id, contact, company, stage, lead, at, amount FROM diff.copy_orders ORDER BY seq) TO '$work/orders.csv'"
				echo "\\copy app.orders (id, contact_id, company_id, stage, lead_id, created_at, amount) FROM '$work/orders.csv'"
			else
				echo "SELECT diff.stage_copy('tenanted', 40) IS NULL AS x \\gset"
				echo "\\copy (SELECT tenant, contact, company, status FROM diff.copy_leads ORDER BY seq) TO '$work/leads.csv'"
				echo "\\copy app.lead_t (tenant_id, person_id, firm_id, lead_status) FROM '$work/leads.csv'"
				echo "\\copy (SELECT id, tenant, contact, company, stage, lead, at, amount FROM diff.copy_orders ORDER BY seq) TO '$work/orders.csv'"
				echo "\\copy app.deal_t (order_no, tenant_id, person_id, firm_id, phase, origin_lead, placed_at, amount) FROM '$work/orders.csv'"
			fi
		fi
		if ((b % 7 == 3)); then
			# all-visible pages: the look-ups read entries instead of rows
			echo "VACUUM app.orders, app.deal_t, app.lead, app.lead_t;"
		fi
		if ((b == batches / 2)); then
			echo "\\echo batch $b: TRUNCATE app.orders"
			echo "TRUNCATE app.orders;"
		fi
		if ((b == batches * 2 / 3)); then
			echo "\\echo batch $b: TRUNCATE app.deal_t"
			echo "TRUNCATE app.deal_t;"
		fi
		if ((b == batches * 3 / 4)); then
			# the leads go, the orders pointing to them stay
			echo "\\echo batch $b: TRUNCATE app.lead_t"
			echo "BEGIN; TRUNCATE app.lead_t; DELETE FROM diff.lead_shadow WHERE ws = 'tenanted'; COMMIT;"
		fi
		echo "SELECT diff.check($b) AS bad \\gset"
		((b % 10 == 0)) && echo "\\echo batch $b done"
	done
	echo "-- a full recomputation must find nothing to change"
	echo "INSERT INTO diff.stat SELECT 'reclassify ' || t, returning_crm.reclassify(t::regclass)"
	echo "  FROM unnest(ARRAY['app.orders', 'app.deal_t', 'app.lead', 'app.lead_t']) WITH ORDINALITY AS u(t, i) ORDER BY i;"
	echo "SELECT diff.check($((batches + 1))) AS bad \\gset"
} >"$work/run.sql"

start=$(date +%s)
status=0
psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$work/run.sql" || status=$?
elapsed=$(( $(date +%s) - start ))
if ((status != 0)); then
	echo "FAIL: the run stopped with an error (psql exit $status); seed $seed"
	exit 1
fi

psql -X -q -d "$db" <<'SQL'
\pset footer off
\echo
\echo operations by kind:
SELECT op, sum(n) FILTER (WHERE ws = 'default') AS "default", sum(n) FILTER (WHERE ws = 'tenanted') AS tenanted,
	sum(n) AS total
FROM diff.opcount GROUP BY ROLLUP (op) ORDER BY op NULLS LAST;
\echo unexpected errors:
SELECT batch, ws, op, sqlstate, message, statement FROM diff.error ORDER BY batch LIMIT 20;
\echo mismatches (first rows):
SELECT batch, ws, kind, id, actual, expected, detail FROM diff.mismatch ORDER BY batch, ws, kind, id LIMIT 20;
SQL

read -r n_ops n_batches n_rows n_bad n_err n_copy n_expected rc <<<"$(psql -X -At -F ' ' -d "$db" -c "
	SELECT (SELECT sum(n) FROM diff.opcount),
		(SELECT value FROM diff.stat WHERE key = 'batches'),
		(SELECT value FROM diff.stat WHERE key = 'rows_checked'),
		(SELECT value FROM diff.stat WHERE key = 'mismatches'),
		(SELECT count(*) FROM diff.error),
		(SELECT value FROM diff.stat WHERE key = 'copy_rows'),
		(SELECT value FROM diff.stat WHERE key = 'expected_errors'),
		(SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM diff.stat WHERE key LIKE 'reclassify %')")"
rc_changed=$(psql -X -At -d "$db" -c "SELECT coalesce(sum(value), 0) FROM diff.stat WHERE key LIKE 'reclassify %'")
distinct_bad=$(psql -X -At -d "$db" -c "SELECT count(*) FROM (SELECT DISTINCT ws, kind, id FROM diff.mismatch) x")

echo
echo "seed:                     $seed"
echo "operations:               $n_ops (+ $n_copy rows by COPY, 3 TRUNCATEs, 600 before attach)"
echo "batches checked:          $n_batches"
echo "row states checked:       $n_rows"
echo "failing statements (expected, rolled back): $n_expected"
echo "unexpected errors:        $n_err"
echo "mismatches:               $n_bad (distinct rows: $distinct_bad)"
echo "reclassify changed:       $rc_changed ($rc)"
echo "runtime:                  ${elapsed}s"

if ((n_bad == 0 && n_err == 0 && rc_changed == 0 && n_ops >= ops)); then
	echo "PASS"
	exit 0
fi
echo "FAIL (seed $seed)"
exit 1
