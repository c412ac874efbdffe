#!/usr/bin/env bash
# Run every suite against a throwaway cluster: pg_regress, isolation, pgTAP,
# the randomised differential test, dump and restore, the upgrade from
# 0.1.0, ODBC, the fuzzers, the datasets and Citus.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

cluster_start || exit 1
echo "throwaway cluster on port $PGPORT"

passed=0 failed=0 failures=()
skipped=0
suite() {
	local name=$1 rc; shift
	echo
	echo "== $name"
	"$@"
	rc=$?
	if ((rc == 0)); then
		passed=$((passed + 1))
	elif ((rc == 77)); then
		# the suite said why it skipped (what it needs is not here)
		skipped=$((skipped + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

outdir=$(mktemp -d /tmp/returning-results.XXXXXX)
chmod 777 "$outdir"

run_regress() {
	local tests
	tests=$(cd sql && ls *.sql | sed 's/\.sql$//' | sort)
	"$PGXS_DIR/src/test/regress/pg_regress" --bindir="$PG_BIN" --inputdir=. --outputdir="$outdir/regress" \
		--dbname=returning_regress $tests ||
		{ cat "$outdir/regress/regression.diffs" 2>/dev/null | head -200; return 1; }
}

run_isolation() {
	local tests
	tests=$(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//' | sort)
	"$PGXS_DIR/src/test/isolation/pg_isolation_regress" --bindir="$PG_BIN" --inputdir=test/isolation \
		--outputdir="$outdir/isolation" --dbname=returning_isolation $tests ||
		{ cat "$outdir/isolation/regression.diffs" 2>/dev/null | head -200; return 1; }
}

run_pgtap() {
	psql -qX -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS returning_tap' -c 'CREATE DATABASE returning_tap' >/dev/null &&
		psql -qX -v ON_ERROR_STOP=1 -d returning_tap -c 'CREATE EXTENSION pgtap' >/dev/null &&
		pg_prove --dbname returning_tap --host "$PGHOST" --port "$PGPORT" --username "$PGUSER" test/pgtap/*.sql
}

suite "pg_regress" run_regress
[[ -n $(ls test/isolation/specs/*.spec 2>/dev/null) ]] && suite "isolation" run_isolation
suite "pgTAP" run_pgtap
for t in test/readme/run.sh test/differential/run.sh test/dump_restore.sh test/upgrade/run.sh test/odbc/run.sh test/fuzz/run.sh test/datasets/run.sh; do
	[[ -x $t ]] && suite "${t#test/}" "$t"
done
# the differential test once more, on orders partitioned by their position
suite "differential/run.sh (partitioned)" env DIFF_PARTITIONED=1 DIFF_OPS=8000 test/differential/run.sh
# Citus: a coordinator and two workers of its own (builds Citus when needed)
suite "citus/run.sh" test/citus/run.sh

rm -rf "$outdir"
echo
echo "suites: $passed passed, $failed failed, $skipped skipped"
((failed == 0)) || { printf 'failed: %s\n' "${failures[@]}"; exit 1; }
