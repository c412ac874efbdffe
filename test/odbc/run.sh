#!/usr/bin/env bash
# BI over ODBC with a real driver: unixODBC's isql and psqlODBC (the
# PostgreSQL Unicode driver of odbcinst.ini), through a DSN of a temporary
# odbc.ini over the Unix socket. Reads the orders report view, filters on
# is_repeat, checks how the boolean flags are described with BoolsAsChar=1
# (the driver's default) and BoolsAsChar=0 (recommended), and that the
# query of the column descriptions (COMMENTs, which psqlODBC does not return
# as REMARKS) works through ODBC.
#
# Exit 0: pass, 1: fail, 77: skipped (no driver).
# Uses the cluster named by PGHOST/PGPORT/PGUSER when set (test/run.sh does),
# otherwise starts a throwaway one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
driver="PostgreSQL Unicode"

if ! command -v isql >/dev/null || ! command -v odbcinst >/dev/null; then
	echo "skipped: unixODBC's isql is not installed (test/deps.sh installs unixodbc)"
	exit 77
fi
if ! odbcinst -q -d -n "$driver" >/dev/null 2>&1; then
	echo "skipped: the ODBC driver \"$driver\" is not in odbcinst.ini (test/deps.sh installs odbc-postgresql)"
	exit 77
fi

if [[ -z ${PGPORT:-} || -z ${PGHOST:-} ]]; then
	. "$here/../lib.sh"
	cluster_start
fi
[[ $PGHOST == /* ]] || { echo "FAIL: PGHOST must be the socket directory, not $PGHOST"; exit 1; }

db=returning_odbc
work=$(mktemp -d /tmp/returning-odbc.XXXXXX)
trap 'rm -rf "$work"; declare -F cluster_stop >/dev/null && cluster_stop' EXIT
psql=(psql -X -q -v ON_ERROR_STOP=1)
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

"${psql[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"${psql[@]}" -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION "returning";
CREATE TABLE lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id int, company_id int);
CREATE TABLE deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int, company_id int,
				   lead_id int, pipeline text, amount numeric(12, 2), created_at timestamptz NOT NULL);
INSERT INTO lead SELECT g, 'new', CASE WHEN g % 2 = 0 THEN g % 7 + 1 END, NULL FROM generate_series(1, 30) g;
INSERT INTO deal
SELECT g, CASE WHEN g % 3 = 0 THEN 'won' WHEN g % 7 = 0 THEN 'lost' ELSE 'new' END,
	   g % 9 + 1, NULL, CASE WHEN g % 4 = 0 THEN g % 30 + 1 END,
	   CASE WHEN g % 2 = 0 THEN 'web' ELSE 'shop' END, g * 12.5,
	   timestamptz '2024-01-01' + g * interval '2 days'
  FROM generate_series(1, 120) g;
SELECT returning_crm.attach_leads('lead');
SELECT returning_crm.attach_orders('deal', lead_column => 'lead_id', ordered_by => 'created_at',
								   pipeline_column => 'pipeline', amount_column => 'amount');
SQL

# The driver's entry of the system's odbcinst.ini, and one DSN per setting
odbcinst -q -d -n "$driver" >"$work/odbcinst.ini"
dsn() { # name BoolsAsChar TextAsLongVarchar
	cat <<-INI
		[$1]
		Driver=$driver
		Servername=$PGHOST
		Port=$PGPORT
		Database=$db
		Username=$PGUSER
		SSLmode=disable
		BoolsAsChar=$2
		TextAsLongVarchar=$3
	INI
}
{
	dsn returning_default 1 1      # the driver's defaults
	dsn returning_bi 0 0           # what the README recommends
} >"$work/odbc.ini"
export ODBCSYSINI=$work ODBCINI=$work/odbc.ini

# odbc DSN SQL: the rows, fields separated by |, through isql (which reads
# one statement a line)
odbc() {
	local out
	out=$(tr '\n' ' ' <<<"$2" | isql -b -v -d'|' "$1" 2>&1) || { echo "$out" >&2; return 1; }
	if grep -q '^\[ISQL\]ERROR\|^\[[0-9A-Z]\{5\}\]' <<<"$out"; then
		echo "$out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# 1. The orders report view, as psql reads it
report="SELECT month, pipeline, orders, new_orders, repeat_orders, repeated_inquiries, won_orders, won_amount
  FROM deal_returning_monthly ORDER BY month, pipeline"
via_odbc=$(odbc returning_bi "$report")
via_psql=$(psql -X -At -F'|' -d $db -c "$report")
echo "report view through ODBC: $(wc -l <<<"$via_odbc") rows, first: $(head -n 1 <<<"$via_odbc")"
[[ -n $via_psql && $via_odbc == "$via_psql" ]] || fail "the report view differs through ODBC:
$(diff <(echo "$via_psql") <(echo "$via_odbc") | head -20)"

# 2. WHERE is_repeat: the repeat orders, their flags as 1 and 0 with either setting
flags="SELECT id, is_repeat, is_new, is_repeated_inquiry FROM deal WHERE is_repeat ORDER BY id"
expected=$(psql -X -At -F'|' -d $db -c "SELECT id, 1, 0, 0 FROM deal WHERE returning_state = 'repeat' ORDER BY id")
for d in returning_default returning_bi; do
	rows=$(odbc $d "$flags")
	echo "$d: WHERE is_repeat returned $(wc -l <<<"$rows") rows, first: $(head -n 1 <<<"$rows")"
	[[ -n $expected && $rows == "$expected" ]] || fail "$d: WHERE is_repeat gave other rows or values:
$(diff <(echo "$expected") <(echo "$rows") | head -10)"
done

# 3. How the driver describes the columns (SQLColumns, as BI tools ask):
# DATA_TYPE 12 (SQL_VARCHAR) for booleans with BoolsAsChar=1, -7 (SQL_BIT)
# with BoolsAsChar=0; text -1 (SQL_LONGVARCHAR) with TextAsLongVarchar=1,
# 12 with 0. REMARKS (field 12) stays empty: psqlODBC does not read COMMENTs.
describe() { # DSN table column -> DATA_TYPE|TYPE_NAME|REMARKS
	odbc "$1" "help $2" | awk -F'|' -v c="$3" '$4 == c { print $5 "|" $6 "|" $12 }'
}
check_type() { # DSN table column expected
	local got
	got=$(describe "$1" "$2" "$3")
	echo "$1: $2.$3 described as DATA_TYPE|TYPE_NAME|REMARKS = $got"
	[[ $got == "$4" ]] || fail "$1: $2.$3 is described as '$got', expected '$4'"
}
check_type returning_default deal is_repeat '12|bool|'
check_type returning_bi deal is_repeat '-7|bool|'
check_type returning_bi deal is_repeated_inquiry '-7|bool|'
check_type returning_default deal_returning_monthly pipeline '-1|text|'
check_type returning_bi deal_returning_monthly pipeline '12|text|'
check_type returning_bi deal_returning_monthly month '9|date|'
check_type returning_bi deal_returning_monthly orders '-5|int8|'
check_type returning_bi deal_returning_monthly won_amount '2|numeric|'

# 4. The descriptions through ODBC: the query the README gives
descriptions="SELECT a.attname AS column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
       pg_catalog.col_description(a.attrelid, a.attnum) AS description
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = 'public.deal_returning_monthly'::regclass
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum"
got=$(odbc returning_bi "$descriptions")
want=$(psql -X -At -F'|' -d $db -c "$descriptions")
echo "column descriptions through ODBC: $(wc -l <<<"$got") columns, e.g. $(grep '^repeat_orders|' <<<"$got")"
[[ $got == "$want" ]] || fail "the descriptions differ through ODBC"
grep -q '^repeat_orders|bigint|Repeat orders: ' <<<"$got" || fail "no description of repeat_orders through ODBC"
[[ $(grep -c '|.\+|.\+$' <<<"$got") -eq $(wc -l <<<"$got") ]] || fail "a column of the view has no description"
view_note=$(odbc returning_bi "SELECT pg_catalog.obj_description('public.deal_returning_monthly'::regclass, 'pg_class')")
echo "view description through ODBC: ${view_note:0:60}..."
[[ $view_note == "Orders of public.deal by month and pipeline"* ]] || fail "the view's description: '$view_note'"

"${psql[@]}" -d postgres -c "DROP DATABASE $db"
if ((failures > 0)); then
	echo "odbc: $failures checks failed"
	exit 1
fi
echo "odbc: ok"
