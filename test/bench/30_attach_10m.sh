#!/usr/bin/env bash
# Bench c: attaching to a table of 10M orders (and 6M leads), against the
# floor of any attach that adds a state column and a STORED generated
# column: ALTER TABLE ... ADD COLUMN x text, ADD COLUMN b boolean GENERATED
# ALWAYS AS (x = 'new') STORED, a full rewrite with its index rebuilds, on an
# identical copy of the orders table (same columns and indexes). Each is
# measured once: an attach cannot be repeated on the same table.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib.sh

db=bench_attach
n_orders=$(scaled 10000000 1000)
n_leads=$(scaled 6000000 600)
fresh_db $db

t0=$(now_s)
bench_psql -d $db -f test/demo/schema.sql
bench_psql -d $db -v n_orders="$n_orders" -v n_leads="$n_leads" -f test/demo/data.sql
gen_ms=$(elapsed_ms "$t0")
bench_psql -d $db <<-SQL
	create table crm.deal_copy (like crm.deal including all);
	insert into crm.deal_copy select * from crm.deal order by id;
	vacuum analyze;
	checkpoint;
SQL
echo "   $n_orders orders, $n_leads leads generated in $(fmt_ms "$gen_ms");" \
	"orders table $(bench_psql -At -d $db -c "select pg_size_pretty(pg_total_relation_size('crm.deal'))") with indexes"

# The rewrite floor, on the copy
alter_ms=$(sql_ms $db "alter table crm.deal_copy add column x text,
	add column b boolean generated always as (x = 'new') stored")
bench_psql -d $db -c "checkpoint"
bench_psql -d $db -c "create extension \"returning\"" -c "checkpoint"
leads_ms=$(sql_ms $db "select returning_crm.attach_leads('crm.lead')")
bench_psql -d $db -c "checkpoint"
orders_ms=$(sql_ms $db "select returning_crm.attach_orders('crm.deal', lead_column => 'lead_id',
	ordered_by => 'created_at', pipeline_column => 'pipeline_id', amount_column => 'amount')")

printf '   %-42s %10s %8s\n' "step (single run)" time ratio
printf '   %-42s %10s %8s\n' "ALTER TABLE add text + generated column" "$(fmt_ms "$alter_ms")" "1.00x"
printf '   %-42s %10s %8s\n' "attach_orders ($n_orders orders)" "$(fmt_ms "$orders_ms")" "$(ratio "$orders_ms" "$alter_ms")x"
printf '   %-42s %10s\n' "attach_leads ($n_leads leads)" "$(fmt_ms "$leads_ms")"
# Correctness of the set-based classification
bench_psql -d $db <<-'SQL'
	-- Leads that predate attach: a converted lead is new (its client most
	-- likely came from its conversion), any other lead with a client repeat
	select format('   leads whose state differs from the attach rule: %s (must be 0)', count(*))
	from crm.lead l
	where l.returning_state is distinct from
		case when l.status = 'converted' then 'new'
			when coalesce(l.company_id, 0) <> 0 or coalesce(l.contact_id, 0) <> 0 then 'repeat'
			else 'new' end \g (format=unaligned tuples_only=on)
	create temp view lead_state as select id, returning_state as state from crm.lead;
	\i test/bench/expected_states.sql
	select format('   orders whose state differs from the rules: %s (must be 0)', count(*))
	from expected e full join crm.deal d using (id)
	where d.returning_state is distinct from e.state \g (format=unaligned tuples_only=on)
	select format('   states after attach: %s', string_agg(format('%s %s', returning_state, n), ', ' order by returning_state))
	from (select returning_state, count(*) as n from crm.deal group by 1) s \g (format=unaligned tuples_only=on)
SQL
summary "c attach" "ALTER TABLE rewrite floor ($n_orders)" "$(fmt_ms "$alter_ms")" "1.00x" "single run"
summary "c attach" "attach_orders ($n_orders orders)" "$(fmt_ms "$orders_ms")" "$(ratio "$orders_ms" "$alter_ms")x" "single run"
summary "c attach" "attach_leads ($n_leads leads)" "$(fmt_ms "$leads_ms")" "-" "single run"
bench_psql -d postgres -c "drop database $db"
