#!/usr/bin/env bash
# make bench: the benchmarks of the README's Performance section, measured side by side in
# one throwaway cluster and reported as ratios.
#
# Every file test/bench/NN_name.sh or NN_name.sql is a section, run in order
# of its name; each prints its own lines and adds lines to the final table
# (see summary() in lib.sh). A .sql section runs in a fresh database of its
# own. Sections can be added without editing this file.
#
# Environment:
#   BENCH_ROWS_SCALE  scales every row count (default 1.0; 0.05 is a quick run)
#   BENCH_ROUNDS      runs of each timed variant, alternating (default 2)
#   BENCH_ONLY        run only the sections whose file name starts with it (10, 20_win)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

export BENCH_ROWS_SCALE=${BENCH_ROWS_SCALE:-1.0}
export BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_ONLY=${BENCH_ONLY:-}

# Settings for 2 cores and 24 GB. fsync, full_page_writes and
# synchronous_commit are off (test/lib.sh): the figures are ratios between
# variants measured the same way, not absolute durability costs.
# Autovacuum is off so that it never runs in the middle of a measurement;
# sections VACUUM and ANALYZE explicitly.
settings=(shared_buffers=2GB maintenance_work_mem=1GB work_mem=64MB
	max_wal_size=32GB min_wal_size=2GB checkpoint_timeout=60min
	autovacuum=off jit=off)
cluster_start "${settings[@]}"

export BENCH_TMP=$CLUSTER_DIR/bench
mkdir -p "$BENCH_TMP"
[[ $(id -u) -eq 0 ]] && chown postgres: "$BENCH_TMP"
export BENCH_SUMMARY=$BENCH_TMP/summary
: >"$BENCH_SUMMARY"

echo "returning benchmarks"
echo "  server:   $(psql -XAtc 'select version()' | cut -d, -f1), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM"
echo "  settings: ${settings[*]}"
echo "            fsync=off full_page_writes=off synchronous_commit=off (ratios only)"
echo "  scale:    BENCH_ROWS_SCALE=$BENCH_ROWS_SCALE, BENCH_ROUNDS=$BENCH_ROUNDS"

failed=()
for f in test/bench/[0-9][0-9]_*.sh test/bench/[0-9][0-9]_*.sql; do
	[[ -e $f ]] || continue
	name=$(basename "$f")
	[[ -z $BENCH_ONLY || $name == "$BENCH_ONLY"* ]] || continue
	echo
	echo "== ${name%.*}"
	start=$(date +%s)
	case $f in
	*.sh)
		bash "$f" || failed+=("$name")
		;;
	*.sql)
		db=bench_$(basename "$f" .sql | tr -c 'a-z0-9_\n' _)
		psql -X -q -d postgres -c "drop database if exists $db" -c "create database $db" &&
			psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" || failed+=("$name")
		psql -X -q -d postgres -c "drop database if exists $db" || true
		;;
	esac
	echo "   ($(($(date +%s) - start)) s)"
done

echo
echo "== summary (BENCH_ROWS_SCALE=$BENCH_ROWS_SCALE, best of $BENCH_ROUNDS where repeated; fsync=off)"
{
	echo "section|measure|value|ratio|note"
	cat "$BENCH_SUMMARY"
} | column -t -s '|' | sed 's/^/  /'

if ((${#failed[@]})); then
	echo
	printf 'failed section: %s\n' "${failed[@]}"
	exit 1
fi
