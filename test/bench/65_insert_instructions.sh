#!/usr/bin/env bash
# Bench g: where a single-row INSERT's time goes, in instructions counted by
# callgrind, which are exact and repeatable where the machine's other load
# moves every timing.  Five tables with the same application indexes
# (contact, company, lead) and 200,000 orders of the demo data:
#   plain       the unattached table;
#   columns     plus the columns that attaching adds (the state, the routed
#               flag and the three STORED generated columns), no index, no
#               trigger; beside it the same columns with the flags as plain
#               booleans, to tell what being generated costs;
#   shape       plus the extension's indexes, no trigger (the attached
#               table's shape);
#   attached    the attached table;
#   plpgsql     the same rules as hand-written PL/pgSQL triggers.
# The server runs the same single-row INSERTs (30% won, half from leads) in
# single-user mode under callgrind, once N1 and once N2 of them; one
# insert's instructions are the difference over N2 - N1, so that start-up
# and the first statement's caches drop out.  The extra instructions of the
# attached insert are then split by layer (each table against the one
# before it) and, in each layer, by the executor's steps they run in.
# The section has a cluster of its own: single-user mode needs its data
# directory to itself.  BENCH_KEEP_CALLGRIND=DIR keeps callgrind's files
# there, for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
. test/bench/lib.sh

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "   skipped: valgrind is not installed (make bench installs it: test/deps.sh valgrind)"
	summary "g instructions" "single-row INSERT" "skipped" "-" "valgrind is not installed"
	exit 0
fi

n_orders=$(scaled 200000 2000)
n1=200
n2=1200
dir=$(mktemp -d "$BENCH_TMP/instructions.XXXXXX")
chmod 755 "$dir"
[[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
port=$(free_port)
own_psql() { bench_psql -h "$dir" -p "$port" "$@"; }
finish() {
	as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	[[ -n ${BENCH_KEEP_CALLGRIND:-} ]] && cp "$dir"/callgrind.* "$BENCH_KEEP_CALLGRIND"/
	rm -rf "$dir"
}
trap finish EXIT

as_owner "$PG_BIN/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log"; exit 1; }
as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start \
	-o "-p $port -k $dir -c listen_addresses= -c fsync=off -c autovacuum=off" >/dev/null ||
	{ cat "$dir/server.log"; exit 1; }

own_psql -d postgres -c "create database bench_instructions"
db=bench_instructions
own_psql -d $db -f test/demo/schema.sql
own_psql -d $db -v n_orders="$n_orders" -f test/demo/data.sql
own_psql -d $db -f test/bench/single_row_tables.sql
own_psql -d $db <<-SQL
	\o /dev/null
	create sequence bench.order_id start 100000000;
	vacuum analyze;
	checkpoint;
SQL
n_contacts=$(own_psql -At -d $db -c "select max(id) from crm.contact")
n_leads=$(own_psql -At -d $db -c "select max(id) from crm.lead")
as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null

# inserts TABLE N: N single-row INSERTs, one a line, the same for every table
inserts() {
	awk -v t="$1" -v n="$2" -v nc="$n_contacts" -v nl="$n_leads" 'BEGIN {
		srand(7)
		for (i = 0; i < n; i++) {
			c = int(rand() * nc) + 1
			l = int(rand() * 2 * nl) + 1
			printf "insert into %s (id, title, stage, contact_id, lead_id, created_at) values ", t
			printf "(nextval(\047bench.order_id\047), \047Order\047, \047%s\047, %d, %s, now());\n",
				rand() < 0.3 ? "won" : "new", c, l <= nl ? l : "null"
		}
	}'
}

# count TABLE N: callgrind's output of N inserts into TABLE
count() {
	local out=$dir/callgrind.$1.$2
	inserts "$1" "$2" >"$dir/inserts.sql"
	as_owner valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$PG_BIN/postgres" --single -D "$dir/data" -c fsync=off -c autovacuum=off $db \
		<"$dir/inserts.sql" >/dev/null 2>"$dir/valgrind.log" ||
		{ tail -n 20 "$dir/valgrind.log"; exit 1; }
	echo "$out"
}

# inclusive FILE FUNCTION...: the instructions executed in the functions
# (callees included), summed
inclusive() {
	local file=$1
	shift
	[[ -e $file.inclusive ]] ||
		callgrind_annotate --inclusive=yes --threshold=100 "$file" >"$file.inclusive" 2>/dev/null
	awk -v names="$*" 'BEGIN { n = split(names, f, " "); for (i = 1; i <= n; i++) want[f[i]] = 1 }
		match($0, /:[A-Za-z_][A-Za-z_0-9]* \[/) {
			name = substr($0, RSTART + 1, RLENGTH - 3)
			if (name in want && !(name in seen)) { seen[name] = 1; v = $1; gsub(",", "", v); s += v }
		}
		END { printf "%d\n", s }' "$file.inclusive"
}

# per_insert T FUNCTIONS...: instructions an insert into T executes in the
# functions (all of them when none is given)
declare -A files
per_insert() {
	local t=$1 a b
	shift
	if (($# == 0)); then
		a=$(awk '/^summary:/ { print $2 }' "${files[$t,1]}")
		b=$(awk '/^summary:/ { print $2 }' "${files[$t,2]}")
	else
		a=$(inclusive "${files[$t,1]}" "$@")
		b=$(inclusive "${files[$t,2]}" "$@")
	fi
	echo $(((b - a) / (n2 - n1)))
}

tables=(bench.plain_deal bench.plain_columns_deal bench.columns_deal bench.shape_deal crm.deal bench.ref_deal)
labels=(unattached "(+ plain columns)" "+ the columns" "+ the indexes" attached PL/pgSQL)
for t in "${tables[@]}"; do
	files[$t,1]=$(count "$t" $n1)
	files[$t,2]=$(count "$t" $n2)
done

base=$(per_insert bench.plain_deal)
echo "   $n_orders orders there; one insert's instructions, from $n1 and $n2 single-row INSERTs:"
for ((i = 0; i < ${#tables[@]}; i++)); do
	ir=$(per_insert "${tables[$i]}")
	printf '   %-16s %9s instructions %6sx\n' "${labels[$i]}" "$ir" "$(ratio "$base" "$ir")"
	summary "g instructions" "single-row INSERT, ${labels[$i]}" "$ir" "$(ratio "$base" "$ir")x" \
		"instructions an insert; the ratio is unattached / this, as tps would be"
done

# The attached insert's extra instructions, layer by layer (each table
# against the one before it), and in each layer the executor's steps that
# most of them run in
# extra T1 T2 FUNCTIONS...: per insert, T2's instructions in FUNCTIONS less T1's
extra() {
	local t1=$1 t2=$2
	shift 2
	echo $(($(per_insert "$t2" "$@") - $(per_insert "$t1" "$@")))
}
columns=$(extra bench.plain_deal bench.columns_deal)
indexes=$(extra bench.columns_deal bench.shape_deal)
triggers=$(extra bench.shape_deal crm.deal)
generated=$(extra bench.plain_deal bench.columns_deal ExecInitStoredGenerated ExecComputeStoredGenerated)
planned=$(extra bench.plain_deal bench.columns_deal pg_analyze_and_rewrite_fixedparams pg_plan_queries)
opened=$(extra bench.columns_deal bench.shape_deal ExecOpenIndices ExecCloseIndices)
prepared=$(extra bench.columns_deal bench.shape_deal ExecPrepareQual)
entries=$(($(extra bench.columns_deal bench.shape_deal ExecInsertIndexTuples) - prepared))
row=$(extra bench.shape_deal crm.deal ExecBRInsertTriggers)
statement=$(extra bench.shape_deal crm.deal ExecBSInsertTriggers AfterTriggerEndQuery)
commit=$(extra bench.shape_deal crm.deal CommitTransactionCommand)
echo "   the attached insert's $((columns + indexes + triggers)) extra instructions:"
((row > 0)) || echo "   (no instructions found in the executor's steps: callgrind_annotate needs the server's symbols)"
printf '   %-32s %7d  (generated columns %d, parse and plan %d; as plain columns %d)\n' \
	"the columns that attaching adds" "$columns" "$generated" "$planned" \
	"$(extra bench.plain_deal bench.plain_columns_deal)"
printf '   %-32s %7d  (opening them %d, preparing their predicates %d, entries %d)\n' \
	"the extension's indexes" "$indexes" "$opened" "$prepared" "$entries"
printf '   %-32s %7d  (row trigger %d, statement triggers %d, commit %d)\n' \
	"the triggers" "$triggers" "$row" "$statement" "$commit"
summary "g instructions" "attached - unattached, by layer" "$((columns + indexes + triggers))" "-" \
	"columns $columns (generated $generated), indexes $indexes (predicates $prepared), triggers $triggers (row $row)"
