#!/usr/bin/env bash
# Bench a: one INSERT ... SELECT of 1M orders (half from leads, ~30% won,
# ~60k clients, positions mostly increasing with 3% out of order) into
#   plain     an identical table without the extension's triggers (same
#             columns, primary key and the app's indexes on contact_id,
#             company_id and lead_id): the baseline, ratio 1.00;
#   attached  the same table attached with returning_crm.attach_orders;
#   plpgsql   the same rules as hand-written PL/pgSQL triggers
#             (plpgsql_reference.sql);
#   logged    the attached table with one rule (repeat orders get a
#             title) and the change log on (configure(log_changes =>
#             true)): one log row per state change;
# and a COPY of the same rows into the plain and into the attached table.
# The variants run alternately, BENCH_ROUNDS times each; the best run of
# each is reported. Afterwards the states of the attached and the PL/pgSQL
# tables are compared with each other and with a set-based evaluation of
# the rules.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib.sh

db=bench_insert
n_orders=$(scaled 1000000 1000)
n_leads=$(scaled 600000 600)
cols="id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at"
fresh_db $db

# Source rows: the demo generator at bench size, in crm.deal and crm.lead
t0=$(now_s)
bench_psql -d $db -f test/demo/schema.sql
bench_psql -d $db -v n_orders="$n_orders" -v n_leads="$n_leads" -f test/demo/data.sql
echo "   source data: $(bench_psql -At -d $db -c "
	select format('%s orders, %s leads, %s clients, %s%% from leads, %s%% won, %s%% out of order',
		count(*), (select count(*) from crm.lead),
		count(distinct case when coalesce(company_id, 0) <> 0 then -company_id else nullif(contact_id, 0) end),
		round(100.0 * count(lead_id) / count(*), 1),
		round(100.0 * count(*) filter (where stage = 'won') / count(*), 1),
		round(100.0 * count(*) filter (where out_of_order) / count(*), 1))
	from (select *, created_at < max(created_at) over (order by id rows between unbounded preceding and 1 preceding) as out_of_order
		from crm.deal) d") (generated in $(fmt_ms "$(elapsed_ms "$t0")"))"

# The leads go into bench.lead after attaching it, through its trigger, as
# live leads would: a lead with a client is repeat.
bench_psql -d $db <<-SQL
	\o /dev/null
	create extension "returning";
	create schema bench;
	create table bench.lead (like crm.lead including defaults including constraints);
	alter table bench.lead add primary key (id);
	create index on bench.lead (contact_id);
	create index on bench.lead (company_id);
	select returning_crm.attach_leads('bench.lead');
SQL
leads_ms=$(sql_ms $db "insert into bench.lead (id, title, status, contact_id, company_id, email, phone, created_at)
	select id, title, status, contact_id, company_id, email, phone, created_at from crm.lead order by id")
echo "   $n_leads leads inserted into the attached bench.lead in $(fmt_ms "$leads_ms")"

# Targets. bench.deal is attached; bench.deal_plain and bench.ref_deal copy
# its columns (state and generated columns included), with only the app's
# indexes; the PL/pgSQL reference adds the indexes its queries need.
bench_psql -d $db <<-SQL
	\o /dev/null
	create table bench.deal (like crm.deal including defaults including constraints);
	alter table bench.deal add primary key (id);
	create index on bench.deal (contact_id);
	create index on bench.deal (company_id);
	create index on bench.deal (lead_id);
	select returning_crm.attach_orders('bench.deal', lead_column => 'lead_id', ordered_by => 'created_at',
		pipeline_column => 'pipeline_id', amount_column => 'amount');

	create table bench.deal_plain (like bench.deal including defaults including constraints including generated);
	alter table bench.deal_plain add primary key (id);
	create index on bench.deal_plain (contact_id);
	create index on bench.deal_plain (company_id);
	create index on bench.deal_plain (lead_id);

	create table bench.ref_deal (like bench.deal_plain including defaults including constraints including generated);
	alter table bench.ref_deal add primary key (id);
	create index on bench.ref_deal (contact_id);
	create index on bench.ref_deal (company_id);
	create index on bench.ref_deal (lead_id);

	create table bench.ref_lead (like bench.lead including defaults including constraints including generated);
	alter table bench.ref_lead add primary key (id);
	create index on bench.ref_lead (contact_id);
	create index on bench.ref_lead (company_id);
	\i test/bench/plpgsql_reference.sql
	insert into bench.ref_lead (id, title, status, contact_id, company_id, email, phone, created_at)
		select id, title, status, contact_id, company_id, email, phone, created_at from bench.lead order by id;

	copy (select $cols from crm.deal order by id) to '$BENCH_TMP/deal.copy';
	vacuum analyze;
SQL
echo "   extension indexes on bench.deal: $(bench_psql -At -d $db -c "
	select coalesce(string_agg(pg_get_indexdef(indexrelid), '; '), 'none')
	from pg_index where indrelid = 'bench.deal'::regclass
		and indexrelid::regclass::text not like 'bench.deal_%_idx' and not indisprimary" | sed 's/CREATE INDEX //g')"

# Planner statistics: an application table that receives a bulk load
# usually has statistics already. Load every target once with triggers
# skipped (session_replication_role = replica) and ANALYZE it, so that the
# plans of the trigger queries, made on their first calls, see realistic
# column statistics instead of those of an empty table. TRUNCATE keeps them.
bench_psql -d $db <<-SQL
	set session_replication_role = replica;
	insert into bench.deal ($cols) select $cols from crm.deal;
	insert into bench.deal_plain ($cols) select $cols from crm.deal;
	insert into bench.ref_deal ($cols) select $cols from crm.deal;
	reset session_replication_role;
	analyze bench.deal;
	analyze bench.deal_plain;
	analyze bench.ref_deal;
SQL

# prepare TABLE: empty it and start from a checkpoint
prepare() {
	bench_psql -d $db -c "truncate $1" -c "checkpoint"
}

declare -A times cpus
variants=(plain attached logged plpgsql copy_plain copy_attached)
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	for v in "${variants[@]}"; do
		case $v in
		plain) table=bench.deal_plain sql="insert into bench.deal_plain ($cols) select $cols from crm.deal order by id" ;;
		attached) table=bench.deal sql="insert into bench.deal ($cols) select $cols from crm.deal order by id" ;;
		logged) table=bench.deal sql="insert into bench.deal ($cols) select $cols from crm.deal order by id" ;;
		plpgsql) table=bench.ref_deal sql="insert into bench.ref_deal ($cols) select $cols from crm.deal order by id" ;;
		copy_plain) table=bench.deal_plain sql="copy bench.deal_plain ($cols) from '$BENCH_TMP/deal.copy'" ;;
		copy_attached) table=bench.deal sql="copy bench.deal ($cols) from '$BENCH_TMP/deal.copy'" ;;
		esac
		[[ $v == logged ]] && bench_psql -d $db -c "select returning_crm.configure(log_changes => true)" \
			-c "select returning_crm.add_rule('bench.deal', 'repeat', '{\"title\": \"returning\"}')" >/dev/null
		prepare $table
		read -r ms cpu < <(sql_cpu_ms $db "$sql")
		[[ $v == logged ]] && bench_psql -d $db -c "select returning_crm.configure(log_changes => false)" \
			-c "select returning_crm.remove_rule(id) from returning_crm.rule" \
			-c "truncate returning_crm.state_change" >/dev/null
		times[$v]="${times[$v]:-} $ms"
		cpus[$v]="${cpus[$v]:-} $cpu"
		printf '   round %d  %-14s %10s wall %10s CPU\n' "$round" "$v" "$(fmt_ms "$ms")" "$(fmt_ms "$cpu")"
		# Keep the result of the attached INSERT of the last round for the checks
		if [[ $v == attached && $round -eq $BENCH_ROUNDS ]]; then
			bench_psql -d $db -c "set client_min_messages = warning" -c "drop table if exists bench.check_insert" \
				-c "create table bench.check_insert as select id, returning_state from bench.deal"
		fi
	done
done

# Best of the rounds; ratios to the plain INSERT, in wall-clock time and in
# the CPU time of the server process (steadier on a shared machine)
# shellcheck disable=SC2086
base=$(min_of ${times[plain]})
# shellcheck disable=SC2086
cpu_base=$(min_of ${cpus[plain]})
label_plain="INSERT 1M, unattached"
echo
printf '   %-34s %10s %8s %10s %8s   %s\n' "variant (best of $BENCH_ROUNDS)" wall ratio CPU ratio "all runs, wall (ms)"
for v in "${variants[@]}"; do
	# shellcheck disable=SC2086
	best=$(min_of ${times[$v]})
	# shellcheck disable=SC2086
	cpu_best=$(min_of ${cpus[$v]})
	case $v in
	plain) label=$label_plain ;;
	attached) label="INSERT 1M, attached" ;;
	logged) label="INSERT 1M, one rule, log_changes" ;;
	plpgsql) label="INSERT 1M, PL/pgSQL triggers" ;;
	copy_plain) label="COPY 1M, unattached" ;;
	copy_attached) label="COPY 1M, attached" ;;
	esac
	[[ $n_orders -ne 1000000 ]] && label=${label/1M/$n_orders}
	printf '   %-34s %10s %8s %10s %8s  %s\n' "$label" "$(fmt_ms "$best")" "$(ratio "$best" "$base")x" \
		"$(fmt_ms "$cpu_best")" "$(ratio "$cpu_best" "$cpu_base")x" "${times[$v]}"
	summary "a bulk load" "$label" "$(fmt_ms "$best")" "$(ratio "$best" "$base")x" \
		"vs unattached INSERT; CPU $(fmt_ms "$cpu_best"), $(ratio "$cpu_best" "$cpu_base")x"
done
# Each round runs the unattached and the attached INSERT one after the
# other, so that their ratio within a round sees the same machine; the
# median of those ratios is the steadiest figure on a shared machine.
read -ra plain_cpu <<<"${cpus[plain]}"
read -ra attached_cpu <<<"${cpus[attached]}"
pair_ratios=()
for ((i = 0; i < ${#plain_cpu[@]}; i++)); do
	pair_ratios+=("$(ratio "${attached_cpu[$i]}" "${plain_cpu[$i]}")")
done
pair_median=$(median_of "${pair_ratios[@]}")
echo
echo "   attached / unattached INSERT, CPU time, round by round: ${pair_ratios[*]} (median ${pair_median}x)"
summary "a bulk load" "INSERT attached / unattached, per round" "${pair_ratios[*]}" "${pair_median}x" \
	"median of the rounds' CPU-time ratios"
# shellcheck disable=SC2086
summary "a bulk load" "COPY attached / COPY unattached" "-" \
	"$(ratio "$(min_of ${times[copy_attached]})" "$(min_of ${times[copy_plain]})")x" \
	"CPU $(ratio "$(min_of ${cpus[copy_attached]})" "$(min_of ${cpus[copy_plain]})")x"

# Correctness: the rules evaluated set-based on the source rows, against the
# attached INSERT (check_insert), the attached COPY (bench.deal) and the
# PL/pgSQL triggers (bench.ref_deal). Lead states: attached bench.lead and
# bench.ref_lead against the insert rule (no lead was updated).
echo
bench_psql -d $db <<-'SQL'
	create temp view lead_state as select id, returning_state as state from bench.lead;
	\i test/bench/expected_states.sql

	\echo '   correctness (rows whose state differs; all must be 0):'
	select format('     %-40s %s', what, n)
	from (
		select 1, 'attached INSERT vs rules', count(*) from expected e left join bench.check_insert c using (id)
			where c.returning_state is distinct from e.state
		union all
		select 2, 'attached COPY vs rules', count(*) from expected e left join bench.deal c using (id)
			where c.returning_state is distinct from e.state
		union all
		select 3, 'PL/pgSQL INSERT vs rules', count(*) from expected e left join bench.ref_deal c using (id)
			where c.returning_state is distinct from e.state
		union all
		select 4, 'attached INSERT vs PL/pgSQL', count(*) from bench.check_insert c full join bench.ref_deal r using (id)
			where c.returning_state is distinct from r.returning_state
		union all
		select 5, 'attached leads vs lead rule', count(*) from bench.lead l
			where l.returning_state is distinct from
				case when coalesce(l.company_id, 0) <> 0 or coalesce(l.contact_id, 0) <> 0 then 'repeat' else 'new' end
		union all
		select 6, 'PL/pgSQL leads vs attached leads', count(*) from bench.lead l full join bench.ref_lead r using (id)
			where l.returning_state is distinct from r.returning_state
	) s(ord, what, n)
	order by ord \g (format=unaligned tuples_only=on)

	\echo '   states of the attached INSERT:'
	select format('     %-18s %8s', coalesce(returning_state, 'NULL'), count(*))
	from bench.check_insert group by returning_state order by 1 \g (format=unaligned tuples_only=on)

	-- The first mismatching rows, for a reproduction
	select count(*) > 0 as any_mismatch from expected e
		left join bench.check_insert c using (id) left join bench.ref_deal r using (id)
		where c.returning_state is distinct from e.state or r.returning_state is distinct from e.state \gset
	\if :any_mismatch
	select 'mismatch' as what, e.id, e.state as expected, c.returning_state as attached, r.returning_state as plpgsql
	from expected e
	left join bench.check_insert c using (id)
	left join bench.ref_deal r using (id)
	where c.returning_state is distinct from e.state or r.returning_state is distinct from e.state
	order by e.id
	limit 5;
	\endif
SQL
mismatches=$(bench_psql -At -d $db -c "
	select count(*) from bench.check_insert c full join bench.ref_deal r using (id)
	where c.returning_state is distinct from r.returning_state")
summary "a bulk load" "state mismatches attached vs PL/pgSQL" "$mismatches" "-" "must be 0"
bench_psql -d postgres -c "drop database $db"
rm -f "$BENCH_TMP/deal.copy"
