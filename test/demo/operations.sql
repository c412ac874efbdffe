-- Single-row operations on the attached demo tables, each timed, with the
-- number of orders whose state changed and the number of rows the
-- statement's transaction updated in crm.deal (the changed rows plus the
-- row the application itself updated). Results go to demo_timing, which
-- run.sh prints.

\o /dev/null
create temp table snapshot (id bigint primary key, returning_state text);

-- measure(step, sql): run sql once, in this transaction, and record it
create function pg_temp.measure(p_step text, p_sql text, p_note text default '') returns void
language plpgsql as $$
declare
	t0 timestamptz;
	ms numeric;
	upd0 bigint;
	changed bigint;
	written bigint;
begin
	truncate snapshot;
	insert into snapshot select id, returning_state from crm.deal;
	select n_tup_upd into upd0 from pg_stat_xact_user_tables where relid = 'crm.deal'::regclass;

	t0 := clock_timestamp();
	execute p_sql;
	ms := round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 2);

	select n_tup_upd - upd0 into written from pg_stat_xact_user_tables where relid = 'crm.deal'::regclass;
	select count(*) into changed from snapshot s join crm.deal d using (id)
	where d.returning_state is distinct from s.returning_state;
	insert into demo_timing (step, ms, changed, written, note) values (p_step, ms, changed, written, p_note);
end;
$$;

-- The company with the most orders that are not yet repeat, among those
-- whose first order is still open: winning that first order turns them all.
select c.company_id as big, c.first_id, c.orders, c.not_repeat
from (
	select d.company_id, count(*) as orders,
		count(*) filter (where d.returning_state <> 'repeat') as not_repeat,
		(array_agg(d.id order by d.created_at, d.id))[1] as first_id,
		(array_agg(d.stage order by d.created_at, d.id))[1] as first_stage
	from crm.deal d
	where coalesce(d.company_id, 0) <> 0
	group by d.company_id
) c
where c.first_stage in ('new', 'negotiation')
order by c.not_repeat desc, c.company_id
limit 1 \gset

select pg_temp.measure(format('win the first order of company %s', :big),
	format('update crm.deal set stage = %L where id = %s', 'won', :first_id),
	format('%s orders, %s not repeat before', :orders, :not_repeat));
select pg_temp.measure(format('lose it again (company %s)', :big),
	format('update crm.deal set stage = %L where id = %s', 'lost', :first_id));
select pg_temp.measure(format('win it again (company %s)', :big),
	format('update crm.deal set stage = %L where id = %s', 'won', :first_id));

-- A new order of that client, today: repeat, nothing else changes
select pg_temp.measure(format('insert an order for company %s', :big),
	format('insert into crm.deal (title, stage, company_id, amount, created_at)
		values (%L, %L, %s, 1200, %L)', 'Follow-up order', 'new', :big, '2024-12-31 12:00+00'));
select format('state of the new order: %s', returning_state) as note
from crm.deal where id = (select max(id) from crm.deal) \gset
update demo_timing set note = :'note' where ord = (select max(ord) from demo_timing);

-- An old won order imported with an earlier date for a mid-size company
-- without won orders: its later orders become repeat
select d.company_id as mid, count(*) as mid_orders, min(d.created_at) as mid_first
from crm.deal d
where coalesce(d.company_id, 0) <> 0 and d.company_id <> :big
group by d.company_id
having count(*) filter (where d.stage = 'won') = 0
order by count(*) desc, d.company_id
limit 1 \gset
select pg_temp.measure(format('import an older won order (company %s)', :mid),
	format('insert into crm.deal (title, stage, company_id, amount, created_at)
		values (%L, %L, %s, 5000, %L::timestamptz - interval %L)',
		'Imported order', 'won', :mid, :'mid_first', '1 day'),
	format('%s later orders', :mid_orders));

-- Move the first won order of a company with many orders to another
-- company without won orders: both clients are recomputed
select d.company_id as from_co, d.id as moved_id
from crm.deal d
where d.stage = 'won' and coalesce(d.company_id, 0) <> 0 and d.company_id not in (:big, :mid)
	and not exists (select 1 from crm.deal e where e.company_id = d.company_id and e.stage = 'won'
		and (e.created_at, e.id) < (d.created_at, d.id))
order by (select count(*) from crm.deal e where e.company_id = d.company_id and e.returning_state = 'repeat') desc, d.id
limit 1 \gset
select d.company_id as to_co
from crm.deal d
where coalesce(d.company_id, 0) <> 0 and d.company_id not in (:big, :mid, :from_co)
group by d.company_id
having count(*) filter (where d.stage = 'won') = 0
order by count(*) desc, d.company_id
limit 1 \gset
select pg_temp.measure(format('move order %s to another client', :moved_id),
	format('update crm.deal set company_id = %s where id = %s', :to_co, :moved_id),
	format('company %s -> %s', :from_co, :to_co));

-- Delete that order: its new client loses the repeat orders it gave
select pg_temp.measure(format('delete order %s (won)', :moved_id),
	format('delete from crm.deal where id = %s', :moved_id));

-- A private person without won orders writes again: a repeat lead, then an
-- order from it is a repeated inquiry
select d.contact_id as person
from crm.deal d
where coalesce(d.company_id, 0) = 0 and d.contact_id is not null
group by d.contact_id
having count(*) filter (where d.stage = 'won') = 0
order by count(*) desc, d.contact_id
limit 1 \gset
insert into crm.lead (title, status, contact_id, created_at)
values ('E-mail: another question', 'in_progress', :person, '2024-12-31 09:00+00')
returning id as lead_id, coalesce(returning_state, 'NULL') as lead_state \gset
select pg_temp.measure(format('convert lead %s into an order', :lead_id),
	format('insert into crm.deal (title, stage, contact_id, lead_id, amount, created_at)
		values (%L, %L, %s, %s, 300, %L)', 'Order from repeat lead', 'new', :person, :lead_id, '2024-12-31 10:00+00'));
select format('lead state %s, order state %s', :'lead_state', returning_state) as note
from crm.deal where id = (select max(id) from crm.deal) \gset
update demo_timing set note = :'note' where ord = (select max(ord) from demo_timing);

\o
