#!/usr/bin/env bash
# Bench: the normalisers per call, and finding a client by e-mail or by
# phone among 1M contacts through returning_crm.find_matches() (the same
# statements match_on_insert and inquiry routing run). Reports medians of
# BENCH_ROUNDS runs and the buffers one look-up touches.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib.sh

db=bench_identity
n_contacts=$(scaled 1000000 1000)
n_calls=$(scaled 100000 1000)
n_phone_calls=$(scaled 20000 500)
n_lookups=$(scaled 2000 100)
fresh_db $db

start=$(now_s)
bench_psql -d $db <<-SQL
	\o /dev/null
	create extension "returning";
	create table contact (id bigint primary key, name text, email text, phone text, company_id bigint);
	insert into contact
	select g, 'Contact ' || g, 'Contact' || g || '@Example.com', '030 ' || (1000000 + g), null
	  from generate_series(1, $n_contacts) g;
	select returning_crm.configure(default_region => 'DE');
	select returning_crm.attach_contacts('contact', email_columns => '{email}', phone_columns => '{phone}');
	vacuum analyze contact;
SQL
echo "   $n_contacts contacts attached with e-mail and phone indexes in $(fmt_ms "$(elapsed_ms "$start")")"

declare -a email_us phone_us lookup_email_us lookup_phone_us
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	ms=$(sql_ms $db "select count(returning_crm.normalize_email(' User' || g || '@Example.COM ')) from generate_series(1, $n_calls) g")
	email_us+=("$(awk -v m="$ms" -v n="$n_calls" 'BEGIN { printf "%.2f", m * 1000 / n }')")
	ms=$(sql_ms $db "select count(returning_crm.normalize_phone('030 ' || (1000000 + g), 'DE')) from generate_series(1, $n_phone_calls) g")
	phone_us+=("$(awk -v m="$ms" -v n="$n_phone_calls" 'BEGIN { printf "%.2f", m * 1000 / n }')")
	ms=$(sql_ms $db "select count(*) from generate_series(1, $n_lookups) g,
		returning_crm.find_matches('contact' || (g * 7919 % $n_contacts + 1) || '@example.com', null)")
	lookup_email_us+=("$(awk -v m="$ms" -v n="$n_lookups" 'BEGIN { printf "%.1f", m * 1000 / n }')")
	ms=$(sql_ms $db "select count(*) from generate_series(1, $n_lookups) g,
		returning_crm.find_matches(null, '+4930' || (1000000 + g * 7919 % $n_contacts + 1))")
	lookup_phone_us+=("$(awk -v m="$ms" -v n="$n_lookups" 'BEGIN { printf "%.1f", m * 1000 / n }')")
done
found=$(bench_psql -At -d $db -c "select count(*) from generate_series(1, 100) g,
	returning_crm.find_matches('contact' || g || '@example.com', '+4930' || (1000000 + g))")
echo "   normalize_email per call:        $(median_of "${email_us[@]}") µs (median of $BENCH_ROUNDS x $n_calls calls)"
echo "   normalize_phone per call:        $(median_of "${phone_us[@]}") µs (median of $BENCH_ROUNDS x $n_phone_calls calls)"
echo "   find_matches by e-mail:          $(median_of "${lookup_email_us[@]}") µs per look-up ($n_lookups look-ups)"
echo "   find_matches by phone:           $(median_of "${lookup_phone_us[@]}") µs per look-up (includes normalize_phone)"
echo "   100 look-ups by e-mail and phone found $found contacts (must be 100)"
echo "   one look-up, the statement find_matches runs:"
bench_psql -d $db <<-SQL | sed 's/^/     /'
	explain (analyze, buffers, costs off, timing off, summary off)
	select s.id from (
		select t.id::pg_catalog.int8 as id from public.contact t
		 where returning_crm.normalize_email(t.email) operator(pg_catalog.=) 'contact4711@example.com'
		union
		select t.id::pg_catalog.int8 as id from public.contact t
		 where returning_crm.normalize_phone(t.phone, 'DE') operator(pg_catalog.=) '+49301004711'
	) s order by 1;
SQL
summary "identity" "normalize_email per call" "$(median_of "${email_us[@]}") µs"
summary "identity" "normalize_phone per call" "$(median_of "${phone_us[@]}") µs"
summary "identity" "look-up by e-mail, $n_contacts contacts" "$(median_of "${lookup_email_us[@]}") µs" - "median"
summary "identity" "look-up by phone, $n_contacts contacts" "$(median_of "${lookup_phone_us[@]}") µs" - "median, with normalize_phone"
bench_psql -d postgres -c "drop database $db"
