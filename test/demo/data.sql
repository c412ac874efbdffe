-- Sample data for the crm schema (schema.sql): three years of business,
-- 2022-01-01 to 2024-12-31, generated in SQL with a fixed seed, so that every
-- run produces the same rows.
--
-- psql variables (all optional):
--   n_orders  number of deals (default 100000)
--   n_leads   number of leads (default 60% of n_orders)
--   seed      setseed() argument (default 0.42)
--   live_from a date: the leads and deals created from then on are put in
--             crm_live.lead and crm_live.deal instead (same columns), to be
--             inserted later, as live traffic (default: none)
--
-- Shape of the data:
--   * clients are companies (4% of n_orders) and private contacts (2% of
--     n_orders); a company has 1 to 4 contacts; private contacts and their
--     deals carry company_id NULL or 0;
--   * the client of a deal is drawn from a skewed distribution, so a few
--     clients have thousands of deals and most deals come from returning
--     clients; 1.5% of deals have no client at all;
--   * business grows: the deal rate doubles over the three years; ids follow
--     creation time, except 3% of deals imported later with an earlier date
--     (date only, so they tie at midnight);
--   * stages: about 31% won, 44% lost, the rest open;
--   * half of the deals come from a converted lead; the lead of a client's
--     first deal carries no client (conversion binds it later, see
--     run.sh), the leads of later deals do (they are repeat leads);
--   * the remaining leads are junk or still open, a third of them from
--     known clients.

\if :{?n_orders}
\else
\set n_orders 100000
\endif
\if :{?n_leads}
\else
select (:n_orders * 6 / 10)::bigint as n_leads \gset
\endif
\if :{?seed}
\else
\set seed 0.42
\endif

\o /dev/null
set temp_buffers = '1GB';
set work_mem = '256MB';
select setseed(:seed);

select greatest(round(:n_orders * 0.04), 10)::bigint as n_companies,
	greatest(round(:n_orders * 0.02), 10)::bigint as n_private
\gset

-- A fraction f in [0, 1) of the way through the three years, mapped to a
-- timestamp such that the rate grows linearly from 1 to 2.
create function pg_temp.grown_time(f double precision) returns timestamptz
language sql immutable
as $$
	select timestamptz '2022-01-01 00:00+00'
		+ (sqrt(1 + 3 * f) - 1) * interval '1096 days'
$$;

-- Companies
insert into crm.company (id, title, email, phone, created_at)
select i,
	(array['Nord', 'Alpen', 'Blau', 'Delta', 'Falke', 'Linde', 'Rhein', 'Sonne', 'Stern', 'Wald'])[1 + (i % 10)]
		|| ' ' || (array['Logistik', 'Bau', 'Handel', 'Technik', 'Medien', 'Consulting', 'Pharma'])[1 + (i / 10 % 7)]
		|| ' ' || (array['GmbH', 'AG', 'KG', 'GmbH & Co. KG', 'UG'])[1 + (i / 70 % 5)]
		|| ' ' || i,
	case when random() < 0.8 then 'info@company' || i || '.example' end,
	case when random() < 0.7 then '+49 30 ' || (2000000 + i) end,
	timestamptz '2021-01-01 00:00+00' + random() * interval '1000 days'
from generate_series(1, :n_companies) i;

-- Private contacts (ids 1 .. n_private), company_id NULL or 0
insert into crm.contact (id, name, email, phone, mobile, company_id, created_at)
select i,
	(array['Anna', 'Ben', 'Clara', 'David', 'Eva', 'Felix', 'Greta', 'Hans', 'Ida', 'Jonas'])[1 + (i % 10)]
		|| ' ' || (array['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker'])[1 + (i / 10 % 8)],
	case when random() < 0.9 then 'person' || i || '@mail.example' end,
	case when random() < 0.5 then '030 ' || (3000000 + i) end,
	case when random() < 0.6 then '+49 170 ' || (4000000 + i) end,
	case when random() < 0.3 then 0 end,
	timestamptz '2021-01-01 00:00+00' + random() * interval '1000 days'
from generate_series(1, :n_private) i;

-- Contacts of companies: 1 to 4 per company, mostly 1 or 2
insert into crm.contact (id, name, email, phone, mobile, company_id, created_at)
select :n_private + row_number() over (order by c.id, j),
	(array['Lena', 'Max', 'Nora', 'Otto', 'Paula', 'Rico', 'Sara', 'Tom'])[1 + ((c.id + j) % 8)]
		|| ' ' || (array['Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz'])[1 + ((c.id * 3 + j) % 6)],
	'contact' || j || '@company' || c.id || '.example',
	case when j = 1 then c.phone end,
	'+49 171 ' || (5000000 + c.id * 4 + j),
	c.id,
	c.created_at
from crm.company c
cross join lateral generate_series(1, 1 + floor(power(random(), 2) * 4)::int + (c.id * 0)::int) j;

-- Clients in random order; the skewed draw below picks low ranks most often
create temp table gen_client as
select row_number() over (order by r, company_id, contact_id) as k, company_id, contact_id, contacts
from (
	select random() as r, c.id as company_id, null::bigint as contact_id,
		(select array_agg(p.id order by p.id) from crm.contact p where p.company_id = c.id) as contacts
	from crm.company c
	union all
	select random(), null, p.id, null
	from crm.contact p
	where coalesce(p.company_id, 0) = 0
) s;
create unique index on gen_client (k);
select count(*) as n_clients from gen_client \gset

-- Deals, with every random draw made here, in id order
create temp table gen_order as
select i as id,
	case when r_noclient >= 0.015 then 1 + floor(:n_clients * power(r_client, 2.2))::bigint end as k,
	case
		when r_import < 0.03 then greatest(date_trunc('day', t - r_back * interval '120 days'),
			timestamptz '2022-01-01 00:00+00')
		else date_trunc('second', t)
	end as created_at,
	case
		when r_stage < 0.31 then 'won'
		when r_stage < 0.75 then 'lost'
		when r_stage < 0.88 then 'negotiation'
		else 'new'
	end as stage,
	case when r_pipe < 0.7 then 1 when r_pipe < 0.9 then 2 else 3 end as pipeline_id,
	round((200 * exp(r_amount * 3.5))::numeric, 2) as amount,
	r_contact, r_zero,
	r_lead < 0.5 as from_lead
from (
	select i, random() as r_noclient, random() as r_client, random() as r_import, random() as r_back,
		random() as r_stage, random() as r_pipe, random() as r_amount, random() as r_contact,
		random() as r_zero, random() as r_lead,
		pg_temp.grown_time((i - 1 + random()) / :n_orders) as t
	from generate_series(1, :n_orders) i
) s;

create temp table gen_deal as
select o.id, o.created_at, o.stage, o.pipeline_id, o.amount, o.from_lead,
	case
		when c.company_id is not null then
			case when o.r_contact < 0.9 then c.contacts[1 + floor(o.r_contact / 0.9 * cardinality(c.contacts))::int] end
		else c.contact_id
	end as contact_id,
	case
		when c.company_id is not null then c.company_id
		when c.contact_id is not null and o.r_zero < 0.3 then 0
	end as company_id,
	c.company_id as client_company,
	c.contact_id as client_contact
from gen_order o
left join gen_client c using (k);

-- Leads that became deals: created up to two weeks before their deal; the
-- lead of a client's first deal carries no client yet
create temp table gen_lead as
select d.id as order_id,
	d.created_at - random() * interval '14 days' as created_at,
	'converted' as status,
	case when d.first_of_client then null else d.contact_id end as contact_id,
	case when d.first_of_client then null else d.company_id end as company_id,
	random() as r_title
from (
	select g.*,
		(g.client_company is not null or g.client_contact is not null)
			and row_number() over (partition by g.client_company, g.client_contact
				order by g.created_at, g.id) = 1 as first_of_client
	from gen_deal g
	order by g.id
) d
where d.from_lead
order by d.id;

-- The other leads: junk or still open, a third from known clients
select greatest(:n_leads - count(*), 0) as n_other_leads from gen_lead \gset

insert into gen_lead (order_id, created_at, status, contact_id, company_id, r_title)
select null,
	pg_temp.grown_time(random()),
	case when r_status < 0.45 then 'junk' when r_status < 0.7 then 'new' else 'in_progress' end,
	case when r_known < 0.33 then
		case when c.company_id is not null then c.contacts[1] else c.contact_id end
	end,
	case when r_known < 0.33 then c.company_id end,
	r_title
from (
	select random() as r_status, random() as r_known, random() as r_title,
		1 + floor(:n_clients * power(random(), 2.2))::bigint as k
	from generate_series(1, :n_other_leads)
) s
left join gen_client c using (k);

-- Lead ids follow creation time
create temp table gen_lead_id as
select row_number() over (order by created_at, order_id nulls last, r_title) as id, *
from gen_lead;

insert into crm.lead (id, title, status, contact_id, company_id, email, phone, created_at)
select l.id,
	(array['Web form: price request', 'Call: product question', 'E-mail: quote', 'Chat: delivery time',
		'Trade fair contact', 'Web form: demo request'])[1 + floor(l.r_title * 6)::int],
	l.status, l.contact_id, l.company_id,
	coalesce(p.email, 'visitor' || l.id || '@mail.example'),
	coalesce(p.mobile, p.phone),
	l.created_at
from gen_lead_id l
left join crm.contact p on p.id = l.contact_id
order by l.id;

insert into crm.deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at)
select d.id,
	(array['Order', 'Quote', 'Service contract', 'Subscription', 'Spare parts'])[1 + (d.id % 5)::int] || ' ' || d.id,
	d.stage, d.pipeline_id, d.amount, d.contact_id, d.company_id, l.id, d.created_at
from gen_deal d
left join gen_lead_id l on l.order_id = d.id
order by d.id;

select setval(pg_get_serial_sequence('crm.company', 'id'), (select max(id) from crm.company));
select setval(pg_get_serial_sequence('crm.contact', 'id'), (select max(id) from crm.contact));
select setval(pg_get_serial_sequence('crm.lead', 'id'), (select max(id) from crm.lead));
select setval(pg_get_serial_sequence('crm.deal', 'id'), (select max(id) from crm.deal));

drop table gen_client, gen_order, gen_deal, gen_lead, gen_lead_id;

\if :{?live_from}
create schema crm_live;
create table crm_live.lead as select * from crm.lead where created_at >= :'live_from' order by id;
delete from crm.lead where created_at >= :'live_from';
create table crm_live.deal as select * from crm.deal where created_at >= :'live_from' order by id;
delete from crm.deal where created_at >= :'live_from';
vacuum crm.lead, crm.deal;
\endif
analyze crm.company, crm.contact, crm.lead, crm.deal;
\o
