#!/usr/bin/env bash
# Bench b: winning the first order of a client that has 10,000 later orders,
# none of them won: every later order becomes repeat. Measured on the
# attached table and on the PL/pgSQL reference, with the number of rows
# written (n_tup_upd of the transaction) and of rows whose state changed;
# then losing it again (every later order goes back).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib.sh

db=bench_win
n_orders=$(scaled 100000 1000)
n_later=$(scaled 10000 100)
fresh_db $db

# Background data, plus one company with 1 + n_later orders over the three
# years: the first one in negotiation, the later ones open or lost.
bench_psql -d $db -f test/demo/schema.sql
bench_psql -d $db -v n_orders="$n_orders" -f test/demo/data.sql
bench_psql -d $db <<-SQL
	\o /dev/null
	insert into crm.company (title) values ('Big Client AG');
	select max(id) as big from crm.company \gset
	insert into crm.contact (name, company_id) values ('Buyer of Big Client', :big);
	insert into crm.deal (title, stage, contact_id, company_id, amount, created_at)
	select 'Big Client order ' || i,
		case when i = 0 then 'negotiation' when i % 3 = 0 then 'lost' when i % 3 = 1 then 'new' else 'negotiation' end,
		(select max(id) from crm.contact), :big, 1000,
		timestamptz '2022-01-03 00:00+00' + i * (interval '1090 days' / ($n_later + 1))
	from generate_series(0, $n_later) i;

	create extension "returning";
	select returning_crm.attach_leads('crm.lead');
	select returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at',
		pipeline_column => 'pipeline_id', amount_column => 'amount');

	-- The same rows under the PL/pgSQL reference
	create schema bench;
	\i test/bench/reference_tables.sql
	vacuum analyze;
	checkpoint;
SQL
big=$(bench_psql -At -d $db -c "select max(id) from crm.company")
first=$(bench_psql -At -d $db -c "select id from crm.deal where company_id = $big order by created_at, id limit 1")

# measure TABLE STAGE: set the stage of the first order in one transaction;
# print "ms written changed": time of the UPDATE, rows the transaction
# updated in TABLE, and orders of the client whose state changed
measure() {
	bench_psql -At -d $db <<-SQL | tail -n 1
		begin;
		create temp table before on commit drop as
			select id, returning_state from $1 where company_id = $big;
		select n_tup_upd as upd0 from pg_stat_xact_user_tables where relid = '$1'::regclass \gset
		select clock_timestamp() as t0 \gset
		update $1 set stage = '$2' where id = $first;
		select round(extract(epoch from clock_timestamp() - :'t0'::timestamptz)::numeric * 1000, 1) as ms \gset
		select n_tup_upd - :upd0 as written from pg_stat_xact_user_tables where relid = '$1'::regclass \gset
		select :ms, :written, count(*)
		from before b join $1 d using (id)
		where d.returning_state is distinct from b.returning_state;
		commit;
	SQL
}

echo "   client $big: 1 + $n_later orders, first order id $first"
printf '   %-30s %10s %14s %14s\n' "operation (best of $BENCH_ROUNDS)" time "rows written" "states changed"
declare -A best
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	for v in attached:crm.deal:won attached:crm.deal:lost plpgsql:bench.ref_deal:won plpgsql:bench.ref_deal:lost; do
		IFS=: read -r kind table stage <<<"$v"
		read -r ms written changed <<<"$(measure "$table" "$stage" | tr '|' ' ')"
		key=$kind:$stage
		printf '   round %d %-22s %10s %14s %14s\n' "$round" "$kind, set $stage" "$(fmt_ms "$ms")" "$written" "$changed"
		if [[ -z ${best[$key]:-} ]] || awk -v a="$ms" -v b="${best[$key]%% *}" 'BEGIN { exit !(a < b) }'; then
			best[$key]="$ms $written $changed"
		fi
	done
done
for key in attached:won attached:lost plpgsql:won plpgsql:lost; do
	read -r ms written changed <<<"${best[$key]}"
	case $key in
	attached:won) label="win first order, attached" ;;
	attached:lost) label="lose it again, attached" ;;
	plpgsql:won) label="win first order, PL/pgSQL" ;;
	plpgsql:lost) label="lose it again, PL/pgSQL" ;;
	esac
	summary "b win first order" "$label" "$(fmt_ms "$ms")" \
		"$(ratio "$ms" "${best[attached:${key#*:}]%% *}")x" "$written rows written, $changed states changed"
done
mismatches=$(bench_psql -At -d $db -c "
	select count(*) from crm.deal c full join bench.ref_deal r using (id)
	where c.returning_state is distinct from r.returning_state")
echo "   states differing between attached and PL/pgSQL tables: $mismatches (must be 0)"
bench_psql -d postgres -c "drop database $db"
