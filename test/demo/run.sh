#!/usr/bin/env bash
# make demo: a sample CRM (schema.sql, data.sql: 100,000 orders and 60,000
# leads over three years) in a throwaway cluster. The history up to
# 2024-06 is there before the extension; attach it to the leads and orders,
# then insert the second half of 2024 through its triggers as live traffic,
# show the monthly report of new, repeat and repeated-inquiry business from
# the report views that attaching created (report.sql), draw it as an SVG
# chart with gnuplot, run a few single-row operations (operations.sql), and
# print how long each step took.
#
# Environment: DEMO_ORDERS (default 100000), DEMO_LEADS (default 60% of it),
# DEMO_SVG (where the chart goes, default /tmp/returning-demo-monthly.svg).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

n_orders=${DEMO_ORDERS:-100000}
n_leads=${DEMO_LEADS:-$((n_orders * 6 / 10))}
live_from=2024-07-01
db=returning_demo
svg=${DEMO_SVG:-/tmp/returning-demo-monthly.svg}

cluster_start shared_buffers=1GB maintenance_work_mem=512MB work_mem=64MB jit=off
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "create database $db"

q() {
	psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"
}

q <<-'SQL'
	create table public.demo_timing (
		ord     serial primary key,
		step    text not null,
		ms      numeric not null,
		changed bigint,
		written bigint,
		note    text not null default ''
	);
SQL

# timed STEP SQL [NOTE-QUERY]: run SQL in one session, time it on the
# server, record it; NOTE-QUERY (optional) returns the note to show.
timed() {
	local ms note=""
	ms=$(q -At <<-SQL | tail -n 1
		\o /dev/null
		select clock_timestamp() as demo_t0 \gset
		$2
		;
		\o
		select round(extract(epoch from clock_timestamp() - :'demo_t0'::timestamptz)::numeric * 1000, 2);
	SQL
	)
	[[ -n ${3:-} ]] && note=$(q -At -c "$3")
	q -v step="$1" -v ms="$ms" -v note="$note" <<<"insert into demo_timing (step, ms, note) values (:'step', :ms, :'note')"
}

states() {
	echo "select string_agg(format('%s %s', coalesce(returning_state, 'unclassified'), n), ', ' order by returning_state)
		from (select returning_state, count(*) as n from $1 group by 1) s"
}

echo "returning demo: a sample CRM in a throwaway cluster (port $PGPORT)"

# 1. The application's schema and three years of data
q -f test/demo/schema.sql
t0=$(date +%s.%N)
q -v n_orders="$n_orders" -v n_leads="$n_leads" -v live_from="$live_from" -f test/demo/data.sql
ms=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", (b - a) * 1000 }')
q -v ms="$ms" <<-'SQL'
	insert into demo_timing (step, ms, note)
	select 'generate the sample CRM', :ms,
		format('%s companies, %s contacts, %s + %s leads, %s + %s orders',
			(select count(*) from crm.company), (select count(*) from crm.contact),
			(select count(*) from crm.lead), (select count(*) from crm_live.lead),
			(select count(*) from crm.deal), (select count(*) from crm_live.deal));
SQL

# 2. Install and attach: leads first, then orders linked to them
q -c 'create extension "returning"'
timed "attach_leads crm.lead" \
	"select returning_crm.attach_leads('crm.lead', email_columns => '{email}', phone_columns => '{phone}',
		date_column => 'created_at')" \
	"$(states crm.lead)"
timed "attach_orders crm.deal" \
	"select returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at',
		pipeline_column => 'pipeline_id', amount_column => 'amount')" \
	"$(states crm.deal)"

# 3. Live traffic: the leads and orders of the second half of 2024 are
# inserted through the triggers, leads first
timed "insert live leads (2024-07 to 2024-12)" \
	"insert into crm.lead (id, title, status, contact_id, company_id, email, phone, created_at)
	select id, title, status, contact_id, company_id, email, phone, created_at
	from crm_live.lead order by id" \
	"$(states crm.lead)"
timed "insert live orders (2024-07 to 2024-12)" \
	"insert into crm.deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at)
	select id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at
	from crm_live.deal order by id" \
	"$(states crm.deal)"

# 4. The leads that brought first-time clients were converted: conversion
# binds them to the client of their order. A converted lead keeps its state,
# so this changes no lead and no order.
q <<-'SQL'
	create table public.to_bind as
	select l.id, l.returning_state
	from crm.lead l
	join crm.deal d on d.lead_id = l.id
	where l.status = 'converted' and l.contact_id is null and l.company_id is null
		and (coalesce(d.company_id, 0) <> 0 or coalesce(d.contact_id, 0) <> 0);
SQL
timed "bind converted leads to their client" \
	"update crm.lead l set contact_id = d.contact_id, company_id = d.company_id
	from crm.deal d
	where d.lead_id = l.id and l.id in (select id from public.to_bind)" \
	"select format('%s converted leads bound, %s lead states changed', count(*),
		count(*) filter (where l.returning_state is distinct from b.returning_state))
	from public.to_bind b join crm.lead l using (id)"
q -c "drop table public.to_bind"

# 5. What the user sees: the monthly report
echo
echo "Orders by month and state (amounts: won orders, in thousands), and the share of repeat leads."
echo "Up to $live_from the rows predate the extension: attach counts a converted lead as new (its"
echo "client most likely came from its conversion), so there are no repeated inquiries there."
q -f test/demo/report.sql

# The same months as a chart: new, repeat and repeated-inquiry orders as
# stacked bars, the share of returning business (repeat and repeated
# inquiries) as a line
if command -v gnuplot >/dev/null; then
	chart_data=$(mktemp /tmp/returning-demo-chart.XXXXXX)
	q -At -F '|' >"$chart_data" <<-'SQL'
		select to_char(month, 'YYYY-MM'), sum(new_orders), sum(repeat_orders), sum(repeated_inquiries),
			round(100.0 * sum(repeat_orders + repeated_inquiries) / nullif(sum(orders), 0), 1)
		from crm.deal_returning_monthly
		where month >= '2022-01-01' and month < '2025-01-01'
		group by month order by month
	SQL
	gnuplot <<-GNUPLOT
		set terminal svg size 1100,520 dynamic enhanced font 'sans,11' background '#ffffff'
		set output '$svg'
		set datafile separator '|'
		set title 'Orders by month: new, repeat and repeated inquiries (crm.deal\\_returning\\_monthly)'
		set style data histograms
		set style histogram rowstacked
		set style fill solid 0.9 border rgb '#ffffff'
		set boxwidth 0.85
		set key top left
		set ylabel 'orders'
		set y2label '% returning'
		set yrange [0:*]
		set y2range [0:100]
		set ytics nomirror
		set y2tics 0, 20
		set xtics rotate by -45 scale 0
		set grid ytics lc rgb '#dddddd'
		plot '$chart_data' using 2:xtic(int(\$0) % 3 == 0 ? stringcolumn(1) : '') title 'new' lc rgb '#9aa5b1', \
			'' using 3 title 'repeat' lc rgb '#2b7bba', \
			'' using 4 title 'repeated inquiry' lc rgb '#f0a030', \
			'' using 0:5 axes x1y2 with linespoints lw 2 pt 7 ps 0.5 lc rgb '#c0392b' \
				title '% returning (repeat + repeated inquiry)'
	GNUPLOT
	rm -f "$chart_data"
	echo
	echo "chart of the monthly orders saved to $svg"
else
	echo
	echo "gnuplot is not installed (test/deps.sh installs gnuplot-nox): no chart"
fi

# 6. Single-row operations
q -f test/demo/operations.sql

# 7. The invariant, checked from scratch: every order's state equals the
# rules evaluated on the current rows (lead states as the extension keeps them)
mismatches=$(q -At <<-'SQL'
	select count(*)
	from (
		select d.id, d.returning_state,
			case
				when d.client_id is null then 'new'
				when coalesce(bool_or(d.stage = 'won') over w, false) then 'repeat'
				when l.returning_state = 'repeat' then 'repeated_inquiry'
				else 'new'
			end as expected
		from (
			select *,
				case when coalesce(company_id, 0) <> 0 then -company_id
					when coalesce(contact_id, 0) <> 0 then contact_id end as client_id
			from crm.deal
		) d
		left join crm.lead l on l.id = d.lead_id
		window w as (partition by d.client_id order by d.created_at, d.id
			rows between unbounded preceding and 1 preceding)
	) s
	where returning_state is distinct from expected
SQL
)

echo
echo "Timings"
q <<-'SQL'
	\pset footer off
	\pset null ''
	select step as "step",
		case when ms >= 1000 then to_char(ms / 1000, 'FM990.00') || ' s' else to_char(ms, 'FM990.00') || ' ms' end as "time",
		changed as "orders changed",
		written as "rows written",
		note as "note"
	from demo_timing
	order by ord;
SQL
echo "orders whose state differs from the rules evaluated from scratch: $mismatches (must be 0)"
[[ $mismatches == 0 ]]
